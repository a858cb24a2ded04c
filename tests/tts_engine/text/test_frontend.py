from __future__ import annotations

import re
import statistics
import time

import pytest

from tts_engine.errors import EmptyTextError, InvalidOptionError, TextTooLongError
from tts_engine.text import Piece, analyze, warm_up


def spoken(text: str, **kw: object) -> list[tuple[str, str]]:
    return [(p.lang, p.text) for p in analyze(text, first_piece_chars=80, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\n", "。。！？", "……——", "🎉🎉🎉", "👍🏻❤️", "★☆→", "\u200b\u200d", "$$$", "%%%", "###"],
)
def test_nothing_speakable_is_refused(text: str) -> None:
    with pytest.raises(EmptyTextError, match="nothing to speak"):
        analyze(text)


@pytest.mark.parametrize("kw", [{"first_piece_chars": 0}, {"max_piece_chars": 0}])
def test_piece_sizes_must_be_positive(kw: dict[str, int]) -> None:
    with pytest.raises(InvalidOptionError, match="at least 1"):
        analyze("你好", **kw)  # type: ignore[arg-type]


def test_length_limit() -> None:
    assert analyze("你好" * 5, max_chars=10)
    with pytest.raises(TextTooLongError, match="11 characters long; the limit is 10"):
        analyze("你好" * 5 + "。", max_chars=10)


MINUTES = [
    "2026年11月21日下午3:30，项目组在3号会议室召开季度会议，共12人参加。",
    "今年销售收入达到¥1,280万元，同比增长15.5%，毛利率为-2.5%的业务线将被调整。",
    "请于3-5天内联系王经理（13812345678）或拨打010-12345678确认。",
    "第3章的内容需要在2026-12-01之前完成，预计需要2位同事和3/4的预算。",
]


@pytest.mark.parametrize("sentence", MINUTES)
def test_meeting_minutes(sentence: str) -> None:
    ps = analyze(sentence)
    assert all(p.lang == "zh" for p in ps)
    assert {p.sentence for p in ps} == {0}
    text = "".join(p.text for p in ps)
    assert not re.search(r"[0-9%¥$]", text)
    assert "".join(p.display for p in ps) == sentence
    assert ps[0].text.endswith(("，", "。"))  # cut at a clause boundary, never inside a clause


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("会议于2026年11月21日召开。", "会议于二零二六年十一月二十一日召开。"),
        ("增长15.5%，达到¥1,280。", "增长百分之十五点五，达到一千二百八十元。"),
        ("联系13812345678。", "联系幺三八幺二三四五六七八。"),
        ("跑了5km，用时25min。", "跑了五公里，用时二十五分钟。"),
        ("需要3-5天。", "需要三到五天。"),
        ("版本3.2发布了。", "版本三点二发布了。"),
    ],
)
def test_chinese_is_normalized(sentence: str, expected: str) -> None:
    assert "".join(text for _, text in spoken(sentence)) == expected


NEWS = [
    (
        "On Nov 21, 2026, shares rose 15.5% to $1,280.50.",
        "On November twenty-first, twenty twenty-six, shares rose fifteen point five percent to "
        "one thousand two hundred eighty dollars and fifty cents.",
    ),
    ("Dr. Smith arrived at 3:30 pm.", "Doctor Smith arrived at three thirty p m."),
    (
        "The U.S. team won the 21st title in 1999.",
        "The U S team won the twenty-first title in nineteen ninety-nine.",
    ),
]


@pytest.mark.parametrize(("sentence", "expected"), NEWS)
def test_english_news(sentence: str, expected: str) -> None:
    ps = analyze(sentence, max_piece_chars=200, first_piece_chars=200)
    assert [p.lang for p in ps] == ["en"]
    assert ps[0].text == expected


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("我们用Python做Demo。", [("zh", "我们用"), ("en", "Python"), ("zh", "做"), ("en", "Demo。")]),
        # acronyms inside Chinese stay with it, their digits read in Chinese (see test_acronyms)
        ("我们用AI做TTS。", [("zh", "我们用AI做TTS。")]),
        ("GPT-4发布了，版本3.2更快。", [("zh", "GPT四发布了，版本三点二更快。")]),
        (
            "我买了iPhone 15，花了5000元。",
            [("zh", "我买了"), ("en", "iPhone fifteen，"), ("zh", "花了五千元。")],
        ),
        ("Windows 11和macOS 14", [("en", "Windows eleven"), ("zh", "和"), ("en", "macOS fourteen")]),
        ("今天是Nov 21, 2026。", [("zh", "今天是"), ("en", "November twenty-first, twenty twenty-six。")]),
        ("用了5G网络", [("zh", "用了五G网络")]),
        ("The 5G network", [("en", "The five G network")]),
    ],
)
def test_numbers_in_mixed_text_follow_the_run_around_them(text: str, runs: list[tuple[str, str]]) -> None:
    assert spoken(text) == runs


@pytest.mark.parametrize(
    ("text", "overrides"),
    [
        ("请重[chong2]新开始。", {"重": "chong2"}),
        ("这件事很重要[zhong4 yao4]。", {"重": "zhong4", "要": "yao4"}),
        ("他去银行[yin2 hang2]取钱。", {"银": "yin2", "行": "hang2"}),
        ("我们一起行[xing2]走。", {"行": "xing2"}),
        ("孩子长大[zhang3 da4]了。", {"长": "zhang3", "大": "da4"}),
        ("长[chang2]度是3米。", {"长": "chang2"}),
        ("第[di4]2章", {"第": "di4"}),
        ("请重(chóng)新开始。", {"重": "chong2"}),
        ("请重（chóng）新开始。", {"重": "chong2"}),
        ("他说你好ni3 hao3。", {"你": "ni3", "好": "hao3"}),
        ("音乐(yīnyuè)很好听。", {"音": "yin1", "乐": "yue4"}),
    ],
)
def test_polyphone_overrides_point_at_their_characters(text: str, overrides: dict[str, str]) -> None:
    (piece,) = analyze(text)
    for mark in ("[", "(", "（", "ni3"):
        assert mark not in piece.text and mark not in piece.display
    assert {piece.text[i]: py for i, py in piece.pinyin.items()} == overrides


def test_overrides_survive_normalization_around_them() -> None:
    (piece,) = analyze("长[chang2]度为3.5米，重[zhong4]量2kg。", first_piece_chars=80)
    assert piece.text == "长度为三点五米，重量两公斤。"
    assert piece.pinyin == {0: "chang2", 8: "zhong4"}


def test_bad_inline_pinyin() -> None:
    with pytest.raises(InvalidOptionError, match="'chong9'"):
        analyze("重[chong9]新")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＩ技术提升了１５．５％。", [("zh", "AI技术提升了百分之十五点五。")]),
        ("你\u200b好\u200d，世\ufeff界！", [("zh", "你好，世界！")]),
        ("温度：－５℃", [("zh", "温度：零下五摄氏度")]),
        ("太棒了🎉🎉！", [("zh", "太棒了！")]),
        ("面积120㎡", [("zh", "面积一百二十平方米")]),
        ("Hello\tworld\x07!", [("en", "Hello world!")]),
        ("**重点**：完成_任务_", [("zh", "重点：完成任务")]),
    ],
)
def test_full_width_forms_and_unpronounceable_characters(text: str, expected: list[tuple[str, str]]) -> None:
    assert spoken(text) == expected


def test_default_language_for_text_without_letters() -> None:
    assert spoken("12345") == [("zh", "一万二千三百四十五")]
    assert spoken("12345", default_lang="en") == [("en", "twelve thousand three hundred forty-five")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Мне 25 лет.", [("ru", "Мне двадцать пять лет.")]),
        ("私は25歳です。", [("ja", "私は二十五歳です。")]),
        ('<speak><lang xml:lang="fr">Il a 25 ans.</lang></speak>', [("fr", "Il a vingt-cinq ans.")]),
        ("สวัสดี 25", [("und", "สวัสดี 25")]),  # no reader for the language: digits stay for the backend
    ],
)
def test_other_languages_get_their_numbers_read(text: str, expected: list[tuple[str, str]]) -> None:
    assert spoken(text) == expected


def test_sentences_and_captions() -> None:
    text = "今天下午我们开会。我们讨论了产品发布。The launch is next week. 大家都同意。"
    ps = analyze(text)
    by_sentence: dict[int, str] = {}
    for p in ps:
        by_sentence[p.sentence] = by_sentence.get(p.sentence, "") + p.display
    assert list(by_sentence.values()) == [
        "今天下午我们开会。",
        "我们讨论了产品发布。",
        "The launch is next week.",
        "大家都同意。",
    ]
    assert [p.lang for p in ps if p.sentence == 2] == ["en"]
    assert all(isinstance(p, Piece) and not p.is_silence for p in ps)


def test_ninety_character_paragraph_is_fast() -> None:
    warm_up()
    paragraph = (
        "会议于2026年11月21日下午3:30在北京召开，预算为¥1,280万元，同比增长15.5%。"
        "请于3-5天内联系张经理（13812345678）确认参会人数，我们将安排2位同事接待。"
    )
    assert 85 <= len(paragraph) <= 95
    times = []
    for i in range(20):
        text = paragraph.replace("2位", f"{i + 2}位")  # fresh text each time: no cache helps
        start = time.perf_counter()
        analyze(text)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.020


@pytest.mark.parametrize(
    ("text", "ssml", "lang"),
    [
        ("今天开会。", None, "zh"),
        ("Meeting at three.", None, "en"),
        ("我们用 Voxflow 做 TTS 演示。", None, "zh"),  # English names inside Chinese stay zh
        ("Voxflow turns meeting minutes into audio, 很快.", None, "en"),
        ("12345", None, "zh"),  # no letters: read as the front-end reads it
        ('<speak xml:lang="zh-CN" version="1.0">会议开始。</speak>', None, "zh"),  # markup is not English
        ('<speak xml:lang="en-US">The <sub alias="World Wide Web">WWW</sub>.</speak>', None, "en"),
        ('<speak xml:lang="en">2026</speak>', None, "en"),
        ('<speak xml:lang="en">你好</speak>', False, "en"),  # not SSML: the tags are text
        ("きょうは会議があります。", None, "ja"),  # kana makes its Han Japanese
    ],
)
def test_main_language(text: str, ssml: bool | None, lang: str) -> None:
    from tts_engine.text import main_language

    assert main_language(text, ssml=ssml) == lang
