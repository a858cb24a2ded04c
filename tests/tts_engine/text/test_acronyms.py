"""Acronyms inside Chinese are read by the Chinese voice, letter by letter."""

from __future__ import annotations

import pytest

from tts_engine.text.acronyms import LETTER_PINYIN, is_acronym, spoken
from tts_engine.text.frontend import analyze
from tts_engine.text.pinyin import normalize_syllable


@pytest.mark.parametrize(
    "token", ["OKR", "PPT", "API", "KPI", "CEO", "HR", "AI", "Q3", "5G", "GPT-4", "B2B", "H100"]
)
def test_acronyms(token: str) -> None:
    assert is_acronym(token)


@pytest.mark.parametrize("token", ["Python", "iPhone", "NASA", "COVID", "UNESCO", "ABCDEFG", "2026", "ok"])
def test_words_numbers_and_long_capitals_are_not_acronyms(token: str) -> None:
    assert not is_acronym(token)


@pytest.mark.parametrize(
    ("token", "said"), [("Q3", "Q三"), ("GPT-4", "GPT四"), ("5G", "五G"), ("H100", "H一百"), ("OKR", "OKR")]
)
def test_digits_of_an_acronym_are_read_in_chinese(token: str, said: str) -> None:
    assert spoken(token) == said


def pieces(text: str) -> list[tuple[str, str]]:
    return [(p.lang, p.text) for p in analyze(text, first_piece_chars=80) if not p.is_silence]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们的OKR和KPI都要在Q3之前定下来。", [("zh", "我们的OKR和KPI都要在Q三之前定下来。")]),
        ("请把PPT发给HR。", [("zh", "请把PPT发给HR。")]),
        ("API文档由CEO审批。", [("zh", "API文档由CEO审批。")]),
        # real words go the English way, and so do capitals said as words
        ("我们用Python写代码。", [("zh", "我们用"), ("en", "Python"), ("zh", "写代码。")]),
        ("NASA发射了火箭。", [("en", "NASA"), ("zh", "发射了火箭。")]),
        # a run that mixes an acronym and a word stays English
        ("他用Open AI的模型。", [("zh", "他用"), ("en", "Open AI"), ("zh", "的模型。")]),
        # acronyms in English text are English
        ("The API is down.", [("en", "The API is down.")]),
    ],
)
def test_acronyms_inside_chinese_stay_in_the_chinese_piece(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert pieces(text) == expected


def test_an_explicit_language_is_kept() -> None:
    ssml = '<speak>我们用<lang xml:lang="en-US">OKR</lang>管理</speak>'
    assert ("en", "OKR") in pieces(ssml)


def test_captions_keep_what_was_written() -> None:
    (piece,) = analyze("在Q3之前完成。")
    assert piece.text == "在Q三之前完成。"
    assert piece.display == "在Q3之前完成。"


def test_every_letter_has_a_mandarin_reading() -> None:
    assert set(LETTER_PINYIN) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    for readings in LETTER_PINYIN.values():
        assert all(normalize_syllable(r) == r for r in readings)
