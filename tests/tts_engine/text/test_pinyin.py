from __future__ import annotations

import pytest
from pypinyin.contrib.tone_convert import to_tone3
from pypinyin.pinyin_dict import pinyin_dict

from tts_engine.errors import InvalidOptionError
from tts_engine.text.piece import Piece
from tts_engine.text.pinyin import (
    apply_homophones,
    homophone,
    normalize_syllable,
    parse_inline,
    parse_syllables,
    spread,
)


def readings(ch: str) -> list[str]:
    return [to_tone3(r, v_to_u=False, neutral_tone_with_five=True) for r in pinyin_dict[ord(ch)].split(",")]


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("chong2", "chong2"),
        ("Zhong4", "zhong4"),
        ("lü4", "lv4"),
        ("lu:4", "lv4"),
        ("lue4", "lve4"),
        ("de5", "de5"),
    ],
)
def test_normalize_syllable(raw: str, normalized: str) -> None:
    assert normalize_syllable(raw) == normalized


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("chong", "tone"),
        ("chong6", "tone"),
        ("chong0", "tone"),
        ("xx9", "not a Mandarin"),
        ("zhongg1", "not a"),
    ],
)
def test_bad_syllables_are_named(bad: str, why: str) -> None:
    with pytest.raises(InvalidOptionError, match=why) as err:
        normalize_syllable(bad)
    assert repr(bad) in str(err.value)


def test_parse_syllables_and_spread() -> None:
    assert parse_syllables("zhang3 da4") == ("zhang3", "da4")
    assert parse_syllables("zhǎng dà") == ("zhang3", "da4")
    assert parse_syllables("lǜshī") == ("lv4", "shi1")
    assert parse_syllables("yin2,hang2") == ("yin2", "hang2")
    assert spread("A股", ("gu3",)) == (None, "gu3")
    with pytest.raises(InvalidOptionError, match="2 Han characters but 1"):
        spread("长大", ("zhang3",))


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("重[chong2]新开始", [("重", ("chong2",)), ("新开始", ())]),
        ("这很重要[zhong4 yao4]。", [("这很", ()), ("重要", ("zhong4", "yao4")), ("。", ())]),
        (
            "去银行[yin2 hang2]，不是行[xing2]走",
            [("去", ()), ("银行", ("yin2", "hang2")), ("，不是", ()), ("行", ("xing2",)), ("走", ())],
        ),
        ("他长[zhang3]大[da4]了", [("他", ()), ("长", ("zhang3",)), ("大", ("da4",)), ("了", ())]),
        # not markup: footnotes, English words, brackets after non-Han text
        ("见附件[1]", [("见附件[1]", ())]),
        ("参考[test]", [("参考[test]", ())]),
        ("see [ref1] here", [("see [ref1] here", ())]),
        ("", []),
        # tone marks, in brackets or parentheses (ASCII or full width)
        ("重(chóng)新开始", [("重", ("chong2",)), ("新开始", ())]),
        ("重[chóng]新", [("重", ("chong2",)), ("新", ())]),
        ("重新（chóng xīn）", [("重新", ("chong2", "xin1"))]),
        ("音乐(yīnyuè)会", [("音乐", ("yin1", "yue4")), ("会", ())]),
        ("西安(Xī'ān)", [("西安", ("xi1", "an1"))]),
        ("他好(hǎo ma)", [("他好", ("hao3", "ma5"))]),
        ("重(chong2)新", [("重", ("chong2",)), ("新", ())]),
        # numbered pinyin right after the characters it reads
        ("你好ni3 hao3，世界", [("你好", ("ni3", "hao3")), ("，世界", ())]),
        ("说你好ni3hao3", [("说", ()), ("你好", ("ni3", "hao3"))]),
        ("重chong2新", [("重", ("chong2",)), ("新", ())]),
        # not markup: parentheses without tones, model numbers, Latin after Latin
        ("人工智能(AI)", [("人工智能(AI)", ())]),
        ("新版本(v2)发布", [("新版本(v2)发布", ())]),
        ("他(经理)说", [("他(经理)说", ())]),
        ("吗(ma)", [("吗(ma)", ())]),
        ("型号A4纸", [("型号A4纸", ())]),
        ("用mp3格式", [("用mp3格式", ())]),
    ],
)
def test_parse_inline(text: str, segments: list[tuple[str, tuple[str, ...]]]) -> None:
    assert parse_inline(text) == segments


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("重[chong]新", "tone"),  # a real syllable without its tone is a mistake, not English
        ("重[abc1]新", "'abc1'"),
        ("重[chong2 xin1 kai1]新", "3 syllables"),
        ("a重要[zhong4 yao4 a1]", "3 syllables"),
        ("重(chóngg)新", "'chóngg'"),
        ("好ni3 hao3", "2 syllables"),
    ],
)
def test_bad_inline_pinyin_is_reported(text: str, message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message):
        parse_inline(text)


@pytest.mark.parametrize(
    "syllable", ["chong2", "zhong4", "yao4", "hang2", "xing2", "zhang3", "chang2", "da4"]
)
def test_homophone_is_read_that_way_by_default(syllable: str) -> None:
    ch = homophone(syllable)
    assert ch is not None and len(ch) == 1
    assert readings(ch)[0] == syllable


def test_homophone_prefers_common_single_reading_characters() -> None:
    assert homophone("chong2") == "崇"  # not 重, whose first reading is zhong4, nor the rare 崈
    assert readings(homophone("hang2") or "") == ["hang2"]


def test_homophone_avoids_characters() -> None:
    first = homophone("xing2")
    assert first is not None
    other = homophone("xing2", avoid=first)
    assert other not in (None, first)


def test_homophone_of_unknown_reading_is_none() -> None:
    assert homophone("nve1") is None


def test_apply_homophones_replaces_only_overridden_characters() -> None:
    piece = Piece("请重新开始，银行在长安街", "zh", pinyin={1: "chong2", 7: "hang2", 9: "chang2"})
    spoken = apply_homophones(piece)
    assert len(spoken) == len(piece.text)
    changed = {i for i, (a, b) in enumerate(zip(piece.text, spoken, strict=True)) if a != b}
    assert changed <= set(piece.pinyin) and 1 in changed
    for i in changed:
        assert readings(spoken[i])[0] == piece.pinyin[i]
    assert apply_homophones(Piece("你好", "zh")) == "你好"
