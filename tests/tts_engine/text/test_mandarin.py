"""Mandarin readings in context: polyphones, the built-in lexicon and tone sandhi."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tts_engine.text.lexicon import Lexicon
from tts_engine.text.mandarin import MandarinReader, builtin_lexicon, library_readings

sys.path.insert(0, str(Path(__file__).parent))
import pronunciation_sets as sets


@pytest.fixture(scope="module")
def reader() -> MandarinReader:
    return MandarinReader()


def test_the_polyphone_set_is_large_and_varied() -> None:
    from pypinyin.pinyin_dict import pinyin_dict

    targets = sets.load(sets.POLYPHONES)
    polyphones = {t.char for t in targets if "," in pinyin_dict.get(ord(t.char), "")}
    assert len({t.sentence for t in targets}) >= 200
    assert len(polyphones) >= 50


def test_at_least_98_percent_of_polyphones_are_read_right(reader: MandarinReader) -> None:
    targets = sets.load(sets.POLYPHONES)
    wrong = sets.misses(targets, reader.written)
    rate = 1 - len(wrong) / len(targets)
    report = "\n".join(f"{t.sentence} {t.char}: {sorted(t.expected)} got {got}" for t, got in wrong)
    assert rate >= 0.98, f"{rate:.3f} right; wrong:\n{report}"


def test_polyphones_written_after_the_rules_are_read_right_too(reader: MandarinReader) -> None:
    targets = sets.load(sets.HELD_OUT)
    wrong = sets.misses(targets, reader.written)
    assert 1 - len(wrong) / len(targets) >= 0.95, wrong


def test_the_set_catches_what_the_libraries_alone_get_wrong() -> None:
    targets = sets.load(sets.POLYPHONES)
    rate = 1 - len(sets.misses(targets, library_readings)) / len(targets)
    assert rate < 0.95  # the set would not show an improvement otherwise


def test_tone_sandhi_gives_the_tones_as_spoken(reader: MandarinReader) -> None:
    targets = sets.load(sets.SANDHI)
    wrong = sets.misses(targets, reader)
    report = "\n".join(f"{t.sentence} {t.char}: {sorted(t.expected)} got {got}" for t, got in wrong)
    assert 1 - len(wrong) / len(targets) >= 0.95, report
    assert len(sets.misses(targets, reader.written)) > len(targets) / 4  # the set needs sandhi


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本期应还金额", "ben3 qi1 ying1 huan2 jin1 e2"),
        ("请按时还款", "qing3 an4 shi2 huan2 kuan3"),
        ("行长强调", "hang2 zhang3 qiang2 diao4"),
        ("他的确很忙", "ta1 di2 que4 hen3 mang2"),
        ("会计核对差额", "kuai4 ji4 he2 dui4 cha1 e2"),
    ],
)
def test_builtin_lexicon_reads_business_words(reader: MandarinReader, text: str, expected: str) -> None:
    assert " ".join(str(r) for r in reader.written(text)) == expected


def test_without_the_builtin_lexicon_the_library_default_comes_back() -> None:
    bare = MandarinReader(Lexicon(), sandhi=False)
    assert bare("请按时还款")[3] == "hai2"  # so the lexicon is what reads it huan2


def test_a_lexicon_word_across_a_word_boundary_is_not_applied(reader: MandarinReader) -> None:
    # 行长 (hang2 zhang3) occurs in the letters of 银行长期 but not in its words 银行/长期
    assert reader.written("银行长期贷款")[:4] == ["yin2", "hang2", "chang2", "qi1"]


def test_a_custom_lexicon_replaces_the_builtin_one() -> None:
    own = MandarinReader(Lexicon.from_entries(pinyin={"还款": "hai2 kuan3"}), sandhi=False)
    assert own("还款")[0] == "hai2"


@pytest.mark.parametrize(
    ("text", "index", "reading"),
    [
        ("他跑得很快", 2, "de5"),
        ("我们得走了", 2, "dei3"),
        ("他养了两只猫", 4, "zhi1"),
        ("请你教我", 2, "jiao1"),
        ("请把第三行删掉", 4, "hang2"),
        ("曾先生来了", 0, "zeng1"),
    ],
)
def test_polyphones_standing_alone_follow_their_neighbours(
    reader: MandarinReader, text: str, index: int, reading: str
) -> None:
    assert reader.written(text)[index] == reading


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("你好", ["ni2", "hao3"]),
        ("不是", ["bu2", "shi4"]),
        ("一起", ["yi4", "qi3"]),
        ("一定", ["yi2", "ding4"]),
        ("二零二一年", [None, None, None, "yi1", None]),
        ("十一月一日", [None, "yi1", None, "yi1", None]),
        ("一千一百元", ["yi4", None, "yi4", None, None]),
        ("一万元", ["yi2", None, None]),
        ("每周一次", [None, None, "yi2", None]),
        ("周一开会", [None, "yi1", None, None]),
        ("第一名", [None, "yi1", None]),
    ],
)
def test_sandhi_of_yi_bu_and_third_tones(
    reader: MandarinReader, text: str, readings: list[str | None]
) -> None:
    got = reader(text)
    assert [g if r else None for g, r in zip(got, readings, strict=True)] == readings


def test_only_han_characters_get_readings(reader: MandarinReader) -> None:
    text = "用API，重新来"
    got = reader(text)
    assert got[:5] == ["yong4", None, None, None, None]
    assert got[5:] == ["chong2", "xin1", "lai2"]


def test_the_builtin_lexicon_ships_in_the_package() -> None:
    lexicon = builtin_lexicon()
    assert len(lexicon) > 100
    assert lexicon.matches("还款")[0].pinyin == ("huan2", "kuan3")
