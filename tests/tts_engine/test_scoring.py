"""Scoring speech: what counts as the same words, and finding sentences a long reading lost or doubled."""

from __future__ import annotations

import pytest

from tts_engine.scoring import check_sentences, comparable, error_rate, measured_default, sentences_of

DOC = (
    "会议于上午九点开始，由总经理主持。财务部汇报了上半年的收入情况。"
    "销售部介绍了新市场的开拓进展。研发中心提出需要增加工程师人手。会议最后宣布了表彰决定。"
)


def test_digits_and_traditional_characters_count_as_what_is_said() -> None:
    heard = "電話13812345678，金額一萬二千五百八十點五元"
    assert error_rate("电话13812345678，金额12,580.50元", heard, "zh") == 0.0
    assert comparable("2026年3月", "zh") == "二零二六年三月"


def test_english_numbers_and_times_are_read_as_words() -> None:
    assert error_rate("We meet at 9:30 am in room 301.", "we meet at 930am in Room 301", "en") == 0.0
    assert error_rate("Revenue grew 15.5%.", "Revenue grew 15.5 percent.", "en") == 0.0
    assert error_rate("one two three four", "one two three", "en") == pytest.approx(0.25)


def test_whisper_writing_zhe_as_its_traditional_form_is_no_error() -> None:
    assert error_rate("等着买鱼的人", "等著買魚的人", "zh") == 0.0
    assert error_rate("著名作家", "着名作家", "zh") == 0.0


def voice(name: str, lang: str, error: float, dnsmos: float, rtf: float) -> dict[str, object]:
    return {
        "voice": name,
        "lang": lang,
        "sets": {"heldout": {"error_mean": error, "dnsmos": dnsmos, "rtf": rtf}},
    }


def test_the_default_is_the_clearest_voice_that_sounds_good_and_streams_twice_real_time() -> None:
    results = [
        voice("buzzy", "zh", 0.05, 2.8, 0.1),  # clearest, but listeners rate it below fair
        voice("slow", "zh", 0.06, 3.4, 0.7),  # cannot stream twice real time
        voice("good", "zh", 0.09, 3.3, 0.4),
        voice("better", "zh", 0.08, 3.1, 0.45),
        voice("english", "en", 0.01, 3.5, 0.1),
        {"voice": "unmeasured", "lang": "zh", "sets": {"tune": {"error_mean": 0.0, "dnsmos": 4, "rtf": 0.1}}},
    ]
    assert measured_default(results, "zh") == "better"
    assert measured_default(results, "en") == "english"
    with pytest.raises(ValueError, match="no ja voice"):
        measured_default(results, "ja")


def test_nothing_heard_is_every_word_wrong() -> None:
    assert error_rate("你好世界", "", "zh") == 1.0
    with pytest.raises(ValueError, match="nothing to score"):
        error_rate("!!!", "你好", "zh")


def test_a_faithful_reading_has_no_dropped_or_repeated_sentence() -> None:
    sentences = sentences_of(DOC)
    assert len(sentences) == 5
    heard = DOC.replace("研发", "盐发").replace("工程师", "公称师")  # a few mishearings only
    checks = check_sentences(sentences, heard, "zh")
    assert not any(c.dropped or c.repeated for c in checks)


def test_a_sentence_left_out_is_dropped_and_one_said_twice_is_repeated() -> None:
    sentences = sentences_of(DOC)
    heard = DOC.replace(sentences[2], "").replace(sentences[3], sentences[3] + sentences[3])
    checks = check_sentences(sentences, heard, "zh")
    assert [c.index for c in checks if c.dropped] == [2]
    assert [c.index for c in checks if c.repeated] == [3]


def test_english_sentences_are_aligned_by_word() -> None:
    first, second = "The board met on Monday morning.", "Revenue grew by twelve percent this year."
    sentences = [first, second, "We adjourned."]
    heard = f"{first} {second} " * 2 + "We adjourned."
    checks = check_sentences(sentences, heard, "en")
    assert checks[1].repeated and not checks[2].repeated
    assert not any(c.dropped for c in checks)
