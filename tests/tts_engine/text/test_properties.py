"""Properties of the text front-end on generated input (hypothesis): it refuses only with TTSError,
keeps every letter, digit and Han character, normalizes idempotently, and parses SSML trees of
supported and unsupported tags into pieces or an SSMLError that names the line.

Runs are derandomized so CI sees the same examples every time; VOXFLOW_FUZZ_RANDOM=1 explores new
ones and VOXFLOW_FUZZ_EXAMPLES=N sets how many.
"""

from __future__ import annotations

import os
import unicodedata
from collections import Counter
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tts_engine.errors import EmptyTextError, SSMLError, TTSError
from tts_engine.text import analyze
from tts_engine.text.chars import clean_char, is_han
from tts_engine.text.normalize_en import normalize_en
from tts_engine.text.normalize_zh import normalize_zh

EXAMPLES = int(os.environ.get("VOXFLOW_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("VOXFLOW_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow],
)

# What the rules react to, so generated text hits numbers, dates, money and abbreviations often.
TOKENS = [
    "0", "2", "12", "2026", "13812345678", "3.5", "1,280", "-", "+", ".", ",", ":", "：", "%", "‰", "/", "~",
    "—", "年", "月", "日", "号", "点", "个", "元", "万", "km", "kg", "°C", "℃", "$", "¥", "€", "US$", "HK$",
    "k", "M", "bn", "st", "th", "Jan", "March ", "Dr.", "No.", "#", "&", "=", "×", "²", " ", "\n", "am",
    "pm", "e.g.", "A.B.", "第", "两", "'", "٣", "５", "𝟕", "。", "，", "！", "?", "重", "你好", "hello",
    "😀", "\u200b", "é", "ж", "한", "カ",
]  # fmt: skip
MIXED = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=3)), max_size=16).map("".join)
# Without brackets: inline pinyin markup (重[chong2]) is meant to vanish from what is shown.
NO_MARKUP = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.text(st.characters(exclude_characters="[]"), max_size=3)),
    max_size=16,
).map("".join)


def pronounced(ch: str) -> bool:
    """Letters, decimal digits and Han: what the front-end must never drop."""
    return is_han(ch) or unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lo", "Nd")


@FUZZ
@given(MIXED)
@example("𞥗\U0001b888")  # a digit of another script used to reach cn2an, which took only ASCII
@example('<speak>a<break time="' + "9" * 400 + 'ms"/></speak>')
def test_analyze_refuses_only_with_tts_errors(text: str) -> None:
    try:
        pieces = analyze(text)
    except TTSError:
        return
    assert pieces and all(p.text.strip() or p.pause_ms for p in pieces)


@FUZZ
@given(NO_MARKUP)
@example("٣ and ５ apples")
def test_nothing_pronounceable_is_dropped(text: str) -> None:
    try:
        pieces = analyze(text, ssml=False)
    except EmptyTextError:
        assert not any(pronounced(ch) and clean_char(ch) for ch in text)
        return
    shown = Counter("".join(p.display for p in pieces))
    wanted = Counter(ch for ch in text if pronounced(ch))
    assert wanted - shown == Counter()


@FUZZ
@given(MIXED)
@example("0５")  # a full-width digit glued to an ASCII one was read only on the second pass
def test_chinese_normalization_is_idempotent(text: str) -> None:
    once = normalize_zh(text)
    assert normalize_zh(once) == once


@FUZZ
@given(MIXED)
@example("00Dr.Dr.")  # a digit glued to "Dr." hid it until the digit was spelled out
@example("Dr.$3")  # two replacements that touch ran their words together ("Doctorthree")
def test_english_normalization_is_idempotent(text: str) -> None:
    once = normalize_en(text)
    assert normalize_en(once) == once


def test_touching_replacements_keep_a_space_between_their_words() -> None:
    assert normalize_en("Dr.$3") == "Doctor three dollars"
    assert normalize_en("5Dr. Smith") == "five Doctor Smith"


def test_digits_of_any_script_are_read_as_numbers() -> None:
    assert normalize_zh("增长٣٥%") == "增长百分之三十五"
    assert normalize_en("٣ apples") == "three apples"
    [piece] = analyze("共有٣个", ssml=False)
    assert piece.text == "共有三个" and piece.display == "共有٣个"
    ssml = analyze('<speak><say-as interpret-as="cardinal">١٢</say-as></speak>')
    assert [p.text for p in ssml] == ["十二"]


# -- SSML trees ---------------------------------------------------------------------------
SUPPORTED = ["break", "prosody", "say-as", "phoneme", "sub", "p", "s", "lang"]
UNSUPPORTED = ["audio", "emphasis", "voice", "mark", "speak"]  # speak: only as the root
VALUES = {
    "time": ["500ms", "1.5s", "0ms", "20s", "x", "9" * 400 + "ms"],
    "strength": ["none", "weak", "strong", "loud"],
    "rate": ["slow", "fast", "80%", "1.2", "0", "-1", "abc", "9" * 400],
    "interpret-as": ["characters", "digits", "date", "telephone", "cardinal", "ordinal", "verbatim"],
    "format": ["ymd", "mdy", "y", "xyz"],
    "alphabet": ["pinyin", "ipa"],
    "ph": ["chong2", "zhong4 yao4", "xx9", "", "a1 b2"],
    "alias": ["World Wide Web", "", "１２３"],
    "xml:lang": ["en", "zh-CN", "fr", "1x", ""],
}
ATTRIBUTES = [*VALUES, "pitch", "foo"]
WORDS = [
    "你好", "重", "重要", "hello", "2026-11-21", "3", "21st", "1,280", "-3.5", "13812345678", "٣", "９",
    "&amp;", "&bogus;", "<", "&", " ", "\n", "。", "重[chong2]新", "字[xx9]", "9" * 40, "😀",
]  # fmt: skip
CONTENT = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=4)), max_size=4).map("".join)


def _attrs() -> st.SearchStrategy[dict[str, str]]:
    value = st.sampled_from(ATTRIBUTES).flatmap(
        lambda name: st.tuples(st.just(name), st.sampled_from(VALUES.get(name, ["x"])) | st.text(max_size=4))
    )
    return st.lists(value, max_size=3).map(dict)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def render(tag: str, attrs: dict[str, str], inner: list[str]) -> str:
        written = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
        return f"<{tag}{written}>{''.join(inner)}</{tag}>" if inner else f"<{tag}{written}/>"

    tags = st.sampled_from(SUPPORTED) | st.sampled_from(UNSUPPORTED)
    return st.builds(render, tags, _attrs(), st.lists(children, max_size=3))


# Escaped text is well-formed; raw text may hold "<" or "&" and must fail as malformed XML.
TREE = st.recursive(CONTENT.map(escape) | CONTENT, _element, max_leaves=8)


@st.composite
def ssml_documents(draw: st.DrawFn) -> str:
    separator = draw(st.sampled_from(["", "\n", "\n  "]))
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in draw(_attrs()).items())
    children = draw(st.lists(TREE, max_size=4))
    return f"<speak{attrs}>{separator}" + separator.join(children) + f"{separator}</speak>"


@FUZZ
@given(ssml_documents())
@example('<speak>\n<break time="' + "9" * 400 + 'ms"/></speak>')  # float overflow in round()
def test_ssml_gives_pieces_or_an_error_naming_the_line(document: str) -> None:
    try:
        pieces = analyze(document, ssml=True)
    except SSMLError as exc:
        lines = document.count("\n") + 1
        assert exc.line is not None and 1 <= exc.line <= lines, str(exc)
        assert f"line {exc.line}" in str(exc)
    except EmptyTextError:
        pass
    else:
        assert all(p.text.strip() or p.pause_ms for p in pieces)


@pytest.mark.parametrize(
    ("document", "line"),
    [
        ('<speak>\n<break time="' + "9" * 400 + 'ms"/></speak>', 2),
        ("<speak>\n\n<audio/></speak>", 3),
        ('<speak>\n<say-as interpret-as="ordinal">x</say-as></speak>', 2),
    ],
)
def test_ssml_errors_name_their_line(document: str, line: int) -> None:
    with pytest.raises(SSMLError) as info:
        analyze(document)
    assert info.value.line == line
