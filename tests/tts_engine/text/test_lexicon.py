from __future__ import annotations

from pathlib import Path

import pytest

from tts_engine.errors import InvalidOptionError
from tts_engine.text import Lexicon, analyze

LEXICON = """\
# Voxflow pronunciation lexicon
长大  zhang3 da4
行长\thang2 zhang3    # tab or spaces between word and pinyin
银行行长 yin2 hang2 hang2 zhang3

Voxflow = vox flow
SQL = sequel  # a trailing comment
k8s = kubernetes
C# = C sharp
Win11 = Windows 11
"""


@pytest.fixture
def lexicon(tmp_path: Path) -> Lexicon:
    path = tmp_path / "lexicon.txt"
    path.write_text(LEXICON, encoding="utf-8")
    return Lexicon.load(path)


def test_load_reads_every_entry(lexicon: Lexicon) -> None:
    assert len(lexicon) == 8


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("孩子长大了", [("长大", ("zhang3", "da4"))]),
        ("银行行长说", [("银行行长", ("yin2", "hang2", "hang2", "zhang3"))]),  # longest match wins
        ("Voxflow and SQL", [("vox flow", ()), ("sequel", ())]),
        ("voxflow", []),  # an entry with capitals is case-sensitive
        ("MySQL and SQLite", []),  # Latin entries match whole words only
        ("K8S cluster", [("kubernetes", ())]),  # an all-lower-case entry matches any case
        ("I like C# a lot", [("C sharp", ())]),
    ],
)
def test_matches(lexicon: Lexicon, text: str, found: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(m.text, m.pinyin) for m in lexicon.matches(text)] == found


def test_from_entries() -> None:
    lex = Lexicon.from_entries(pinyin={"重庆": "chong2 qing4"}, substitutions={"TTS": "text to speech"})
    assert [(m.start, m.end, m.text) for m in lex.matches("去重庆做TTS")] == [
        (1, 3, "重庆"),
        (4, 7, "text to speech"),
    ]
    assert len(Lexicon()) == 0 and Lexicon().matches("anything") == []


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("长大 zhang3 da4\n长度 chang2\n", 2, "2 Han characters but 1"),
        ("# comment\n\n银行 yin2 hangg2\n", 3, "'hangg2'"),
        ("好\n", 1, "expected 'word pinyin syllables'"),
        ("ok = fine\nbad =\n", 2, "empty side"),
        ("长大 zhang da\n", 1, "tone"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = tmp_path / "user.lex"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidOptionError, match=message) as err:
        Lexicon.load(path)
    assert f"{path}, line {line}:" in str(err.value)


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match="cannot read lexicon"):
        Lexicon.load(tmp_path / "missing.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("长大 zhang3 da4".encode("gbk"))
    with pytest.raises(InvalidOptionError, match="cannot read lexicon"):
        Lexicon.load(bad)


@pytest.mark.parametrize(
    ("text", "piece_text", "overrides"),
    [
        ("孩子长大了。", "孩子长大了。", {2: "zhang3", 3: "da4"}),
        ("他的长度是3米。", "他的长度是三米。", {}),  # 长度 is not in the lexicon: no override
        ("银行行长来了。", "银行行长来了。", {0: "yin2", 1: "hang2", 2: "hang2", 3: "zhang3"}),
    ],
)
def test_pinyin_entries_become_overrides(
    lexicon: Lexicon, text: str, piece_text: str, overrides: dict
) -> None:
    (piece,) = analyze(text, lexicon=lexicon)
    assert piece.text == piece_text
    assert piece.pinyin == overrides


def test_substitutions_are_spoken_but_captions_keep_the_original(lexicon: Lexicon) -> None:
    (piece,) = analyze("Voxflow stores data in SQL.", lexicon=lexicon, first_piece_chars=80)
    assert piece.text == "vox flow stores data in sequel."
    assert piece.display == "Voxflow stores data in SQL."


def test_substitutions_are_normalized_like_typed_text(lexicon: Lexicon) -> None:
    (piece,) = analyze("I run Win11.", lexicon=lexicon, first_piece_chars=80)
    assert (piece.text, piece.display) == ("I run Windows eleven.", "I run Win11.")
    ps = analyze("我用Win11。", lexicon=lexicon)
    assert [(p.lang, p.text) for p in ps] == [("zh", "我用"), ("en", "Windows eleven。")]
    assert "".join(p.display for p in ps) == "我用Win11。"


def test_substitution_can_change_the_language() -> None:
    lex = Lexicon.from_entries(substitutions={"Voxflow": "沃克斯弗洛"})
    (piece,) = analyze("欢迎使用Voxflow。", lexicon=lex)
    assert (piece.lang, piece.text, piece.display) == ("zh", "欢迎使用沃克斯弗洛。", "欢迎使用Voxflow。")


def test_lexicon_does_not_touch_explicit_pinyin(lexicon: Lexicon) -> None:
    (piece,) = analyze("他长大[chang2 da4]了", lexicon=lexicon)
    assert piece.pinyin == {1: "chang2", 2: "da4"}
