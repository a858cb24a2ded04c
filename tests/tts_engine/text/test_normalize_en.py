from __future__ import annotations

import re

import pytest

from tts_engine.text.normalize_en import cardinal, normalize_en, ordinal, say_as, spans, year


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # numbers, decimals, negatives
        ("1280", "twelve eighty"),  # four digits in the year range read as a year
        ("1,280", "one thousand two hundred eighty"),
        ("15.5", "fifteen point five"),
        ("0.05", "zero point zero five"),
        ("-3 degrees", "minus three degrees"),
        ("1,000,000 users", "one million users"),
        ("007", "zero zero seven"),
        # percentages and currency
        ("rose 15.5%", "rose fifteen point five percent"),
        ("$1,280.50", "one thousand two hundred eighty dollars and fifty cents"),
        ("$1", "one dollar"),
        ("$0.50", "fifty cents"),
        ("$3.5 million", "three point five million dollars"),
        ("$2B", "two billion dollars"),
        ("£20", "twenty pounds"),
        ("€9.99", "nine euros and ninety-nine cents"),
        # ordinals, years, decades
        ("the 21st century", "the twenty-first century"),
        ("his 3rd try", "his third try"),
        ("In 1999, prices rose.", "In nineteen ninety-nine, prices rose."),
        ("by 2026", "by twenty twenty-six"),
        ("in 2005", "in two thousand five"),
        ("the 1990s", "the nineteen nineties"),
        ("the '80s", "the eighties"),
        ("2020-2024", "twenty twenty to twenty twenty-four"),
        # dates
        ("Nov 21, 2026", "November twenty-first, twenty twenty-six"),
        ("November 21st, 2026", "November twenty-first, twenty twenty-six"),
        ("on March 3", "on March third"),
        ("21 November 2026", "the twenty-first of November, twenty twenty-six"),
        ("2026-11-21", "November twenty-first, twenty twenty-six"),
        ("11/21/2026", "November twenty-first, twenty twenty-six"),
        # times
        ("3:30 pm", "three thirty p m"),
        ("at 3:05 a.m. sharp", "at three oh five a m sharp"),
        ("at 3:05 a.m.", "at three oh five a m."),  # the period also ends the sentence
        ("15:05", "fifteen oh five"),
        ("15:00", "fifteen hundred"),
        ("9:00", "nine o'clock"),
        ("3 pm", "three p m"),
        ("10am", "ten a m"),
        ("won 3:2", "won three to two"),  # not a time: a score
        # phone numbers
        ("555-123-4567", "five five five, one two three, four five six seven"),
        ("(555) 123-4567", "five five five, one two three, four five six seven"),
        ("call 555-1234", "call five five five, one two three four"),
        # units
        ("5 km", "five kilometers"),
        ("1 km", "one kilometer"),
        ("15.5 kg", "fifteen point five kilograms"),
        ("-5°C", "minus five degrees Celsius"),
        ("2.5 GB", "two point five gigabytes"),
        ("120 ms", "one hundred twenty milliseconds"),
        ("60 km/h", "sixty kilometers per hour"),
        # abbreviations
        ("Dr. Smith", "Doctor Smith"),
        ("Mr. and Mrs. Smith", "Mister and Missus Smith"),
        ("fruit, e.g. apples", "fruit, for example apples"),
        ("i.e. none", "that is none"),
        ("apples, pears, etc. are fine", "apples, pears, et cetera are fine"),
        ("apples, pears, etc. Then we left.", "apples, pears, et cetera. Then we left."),
        ("the U.S. economy", "the U S economy"),
        ("No. 5", "number five"),
        ("#1 hit", "number one hit"),
        # ranges, fractions, versions, mixed tokens
        ("3-5 days", "three to five days"),
        ("3/4", "three quarters"),
        ("1/2", "one half"),
        ("2/3", "two thirds"),
        ("24/7", "twenty-four seven"),
        ("version 3.10.2", "version three point ten point two"),
        ("GPT-4", "GPT-four"),
        ("iPhone 15", "iPhone fifteen"),
        ("5G", "five G"),
        ("R&D", "R and D"),
    ],
)
def test_normalize_en(text: str, spoken: str) -> None:
    assert normalize_en(text) == spoken


@pytest.mark.parametrize(
    "sentence",
    [
        "On Nov 21, 2026, Dr. Smith said revenue rose 15.5% to $1,280.50 million.",
        "The meeting starts at 3:30 pm in room 4, and lasts 90 minutes.",
        "Call 555-123-4567 before Dec 1st; tickets cost $25 each.",
        "In 1999 the company had 1,200 employees; by 2026 it had 15,000.",
        "The car weighs 1,450 kg and reaches 100 km/h in 6.5 s.",
    ],
)
def test_news_sentences_have_no_digits_left(sentence: str) -> None:
    spoken = normalize_en(sentence)
    assert not re.search(r"[0-9%$]", spoken)
    assert spoken.split()[0] == sentence.split()[0]


def test_a_period_that_ends_the_sentence_survives_the_abbreviation() -> None:
    assert (
        normalize_en("He works for Acme Inc. She does not.")
        == "He works for Acme Incorporated. She does not."
    )
    assert normalize_en("Acme Inc. is big.") == "Acme Incorporated is big."


def test_spans_point_at_the_original_text() -> None:
    text = "Pay $3.50 by Nov 21."
    assert [(text[s:e], spoken) for s, e, spoken in spans(text)] == [
        ("$3.50", "three dollars and fifty cents"),
        ("Nov 21", "November twenty-first"),
    ]


def test_helpers() -> None:
    assert cardinal("-1,280.5") == "minus one thousand two hundred eighty point five"
    assert ordinal(21) == "twenty-first"
    assert year(1999) == "nineteen ninety-nine"
    assert year(2026) == "twenty twenty-six"


@pytest.mark.parametrize(
    ("text", "kind", "fmt", "spoken"),
    [
        ("ABC", "characters", None, "A B C"),
        ("A1", "spell-out", None, "A one"),
        ("2026", "digits", None, "two zero two six"),
        ("555-1234", "telephone", None, "five five five, one two three four"),
        ("2026-11-21", "date", None, "November twenty-first, twenty twenty-six"),
        ("11/21/2026", "date", "mdy", "November twenty-first, twenty twenty-six"),
        ("21.11.2026", "date", "dmy", "November twenty-first, twenty twenty-six"),
        ("2026", "date", "y", "twenty twenty-six"),
        ("1,280", "cardinal", None, "one thousand two hundred eighty"),
        ("21", "ordinal", None, "twenty-first"),
        ("3rd", "ordinal", None, "third"),
    ],
)
def test_say_as(text: str, kind: str, fmt: str | None, spoken: str) -> None:
    assert say_as(text, kind, fmt) == spoken
