"""Cutting streamed text (an LLM's tokens) into sentences as soon as each is complete."""

from __future__ import annotations

import pytest

from integrator.app.sentences import SentenceBuffer


def feed(tokens: list[str], max_sentence: int = 240) -> tuple[list[list[str]], str]:
    buffer = SentenceBuffer(max_sentence)
    return [buffer.append(t) for t in tokens], buffer.flush()


def test_a_sentence_leaves_once_the_next_character_shows_it_is_complete() -> None:
    out, rest = feed(["今天", "天气很好。", "我们", "去公园吧！", "好"])
    assert out == [[], [], ["今天天气很好。"], [], ["我们去公园吧！"]]
    assert rest == "好"


def test_english_periods_need_whitespace_after_them() -> None:
    out, rest = feed(["It costs 3", ".", "14 dollars", ". ", "Really"])
    assert out == [[], [], [], ["It costs 3.14 dollars."], []]
    assert rest == "Really"


def test_closing_quotes_stay_with_their_sentence() -> None:
    out, rest = feed(["他说：“好。", "”然后", "走了。"])
    assert out == [[], ["他说：“好。”"], []]
    assert rest == "然后走了。"


def test_runs_of_punctuation_and_newlines_end_sentences() -> None:
    out, rest = feed(["真的吗？！", "是的\n", "Next"])
    assert out == [[], ["真的吗？！", "是的"], []]
    assert rest == "Next"


def test_one_append_can_complete_several_sentences() -> None:
    out, rest = feed(["一。二！三？四"])
    assert out == [["一。", "二！", "三？"]]
    assert rest == "四"


@pytest.mark.parametrize("text", ["a" * 30 + ", " + "b" * 30, "a" * 30 + " " + "b" * 30])
def test_a_run_without_an_end_is_cut_at_a_clause_mark_or_space(text: str) -> None:
    out, rest = feed([text], max_sentence=40)
    assert out == [["a" * 30 + ("," if "," in text else "")]]
    assert rest == "b" * 30


def test_a_run_without_any_break_is_cut_at_the_limit() -> None:
    out, rest = feed(["字" * 100], max_sentence=40)
    assert out == [["字" * 40, "字" * 40]]
    assert rest == "字" * 20


def test_flush_empties_the_buffer() -> None:
    buffer = SentenceBuffer()
    buffer.append("  半句  ")
    assert buffer.flush() == "半句"
    assert buffer.flush() == ""
    assert buffer.pending == ""
