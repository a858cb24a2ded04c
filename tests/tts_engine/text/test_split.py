from __future__ import annotations

import re

import pytest

from tts_engine.text.atoms import Atom, Mark, Stream, from_text
from tts_engine.text.langid import detect
from tts_engine.text.piece import Piece
from tts_engine.text.split import PAUSE_MS, split


def stream(text: str) -> Stream:
    """Atoms for ``text`` with languages detected, as the front-end hands them to the splitter."""
    atoms = from_text(text)
    for atom, lang in zip(atoms, detect("".join(a.text or " " for a in atoms)), strict=True):
        atom.lang = lang
    return list(atoms)


def pieces(text: str, first: int = 80, limit: int = 80) -> list[Piece]:
    return split(stream(text), first, limit)


def texts(ps: list[Piece]) -> list[str]:
    return [p.text for p in ps]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "第一句。第二句！第三句？第四句；第五句",
            ["第一句。", "第二句！", "第三句？", "第四句；", "第五句"],
        ),
        ("真的吗？！是的。", ["真的吗？！", "是的。"]),
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("价格是3.5元。总价10.25元。", ["价格是3.5元。", "总价10.25元。"]),
        (
            "Hello world. This is a test! Is it? Yes; it is.",
            ["Hello world.", "This is a test!", "Is it?", "Yes;", "it is."],
        ),
        ("It costs 3.5 dollars. OK.", ["It costs 3.5 dollars.", "OK."]),
        ("Dr. Smith met Mr. Jones. They talked.", ["Dr. Smith met Mr. Jones.", "They talked."]),
        ("Use e.g. this one. Fine.", ["Use e.g. this one.", "Fine."]),
        ("The U.S. economy grew. Good.", ["The U.S. economy grew.", "Good."]),
        ("J. K. Rowling wrote it.", ["J. K. Rowling wrote it."]),
        ("Wait... what?", ["Wait...", "what?"]),
        ("第一行\n第二行", ["第一行", "第二行"]),
        ("see www.example.com now.", ["see www.example.com now."]),
    ],
)
def test_sentences(text: str, sentences: list[str]) -> None:
    ps = pieces(text)
    assert texts(ps) == sentences
    assert [p.sentence for p in ps] == list(range(len(sentences)))


def test_pauses_after_sentences_and_paragraphs() -> None:
    ps = pieces("第一句。第二句。\n\n新段落。\n下一行")
    assert [(p.text, p.pause_ms) for p in ps] == [
        ("第一句。", PAUSE_MS["sentence"]),
        ("第二句。", PAUSE_MS["paragraph"]),
        ("新段落。", PAUSE_MS["sentence"]),
        ("下一行", 0),  # nothing follows the last piece
    ]
    assert PAUSE_MS["paragraph"] > PAUSE_MS["sentence"] > PAUSE_MS["clause"] > PAUSE_MS["forced"] == 0


LONG_ZH = (
    "根据会议的讨论结果，项目组决定在下个季度继续推进新版本的开发工作，"
    "同时加强测试团队与产品团队之间的沟通与协作，确保每一个功能都能按时交付，"
    "并且在上线之前完成全部的回归测试和性能测试。"
)


@pytest.mark.parametrize("limit", [20, 30, 45, 80])
def test_long_sentences_split_at_clauses(limit: int) -> None:
    ps = pieces(LONG_ZH, first=limit, limit=limit)
    assert "".join(texts(ps)) == LONG_ZH
    assert len(ps) > 1 and {p.sentence for p in ps} == {0}
    for p in ps[:-1]:
        assert len(p.text) <= limit
        if p.text[-1] in "，、":
            assert p.pause_ms == PAUSE_MS["clause"]
        else:
            assert p.pause_ms == 0  # forced cut inside a clause
    clause_ends = [p for p in ps[:-1] if p.text.endswith("，")]
    assert clause_ends, "clause boundaries are preferred"


def test_clause_less_chinese_is_cut_between_words() -> None:
    text = "我们今天下午在第三会议室讨论明年产品发布计划和市场推广预算分配方案以及人员安排"
    ps = pieces(text, first=15, limit=15)
    assert "".join(texts(ps)) == text
    assert all(len(p) <= 15 for p in texts(ps))
    assert all(p.pause_ms == 0 for p in ps)
    import jieba

    bounds, pos = set(), 0
    for word in jieba.cut(text):
        pos += len(word)
        bounds.add(pos)
    cut, pos = [], 0
    for p in ps[:-1]:
        pos += len(p.text)
        cut.append(pos)
    assert set(cut) <= bounds


def test_clause_less_english_is_cut_at_spaces() -> None:
    words = "the quick brown fox jumps over the lazy dog and keeps running through the field without stopping"
    ps = pieces(words, first=15, limit=15)  # limits count Chinese characters: 2 letters each
    assert " ".join(texts(ps)) == words
    assert len(ps) > 2
    assert all(len(p.text) <= 30 for p in ps)


def test_a_word_longer_than_the_limit_is_not_cut() -> None:
    ps = pieces("Supercalifragilisticexpialidocious is a word", first=10, limit=10)
    assert texts(ps)[0] == "Supercalifragilisticexpialidocious"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("今天天气很好，我们去公园散步吧。", "今天天气很好，"),  # clause boundary within 12
        ("Good morning, everyone, and welcome to the meeting of the whole team.", "Good morning, everyone,"),
        ("短句。", "短句。"),
    ],
)
def test_first_piece_is_a_short_clause(text: str, first: str) -> None:
    ps = pieces(text, first=12)
    head = ps[0].text
    letters = 1 if ps[0].lang == "zh" else 2  # limits count Chinese characters
    assert len(head.rstrip(",，")) <= 12 * letters  # a clause mark takes no time to speak
    assert head == first
    if len(ps) > 1:
        assert ps[0].pause_ms == PAUSE_MS["clause"]
    assert len(ps) <= 2  # only the first piece is kept short: the rest fits in one


@pytest.mark.parametrize(
    "text",
    [
        "在二零二六年的第一次全体会议上大家讨论了很多问题。",
        "Welcome everyone to the quarterly planning meeting of our whole company.",
    ],
)
def test_a_first_sentence_without_clauses_is_spoken_whole(text: str) -> None:
    # A model reads each piece as a phrase of its own: cutting between words costs more
    # intelligibility than a slower first piece.
    assert texts(pieces(text, first=12)) == [text]


def test_a_heading_too_short_to_stand_alone_joins_the_next_clause() -> None:
    text = "会议通知：定于本周五下午两点召开季度经营分析会，请各部门负责人准时参加。"
    ps = pieces(text, first=12)
    assert texts(ps) == ["会议通知：定于本周五下午两点召开季度经营分析会，", "请各部门负责人准时参加。"]


def test_a_clause_is_cut_between_words_only_when_the_model_cannot_take_it_whole() -> None:
    clause = "我们今天下午在第三会议室讨论明年产品发布计划和市场推广预算分配方案以及人员安排"  # 39
    assert texts(pieces(clause + "。", first=12, limit=80)) == [clause + "。"]
    ps = pieces(clause + "。", first=12, limit=20)
    assert len(ps) > 1 and all(len(p.text) <= 20 for p in ps)
    assert all(p.pause_ms == 0 for p in ps)


def test_language_changes_split_pieces_but_not_sentences() -> None:
    ps = pieces("我们用AI做TTS，效果很好。")
    assert [(p.text, p.lang, p.sentence) for p in ps] == [
        ("我们用", "zh", 0),
        ("AI", "en", 0),
        ("做", "zh", 0),
        ("TTS，", "en", 0),
        ("效果很好。", "zh", 0),
    ]
    assert [p.pause_ms for p in ps] == [0, 0, 0, PAUSE_MS["clause"], 0]


def test_display_concatenates_to_the_sentence() -> None:
    text = "Good morning, everyone, and welcome to the quarterly planning meeting of the whole team."
    ps = pieces(text, first=4, limit=8)
    assert len(ps) > 2
    assert "".join(p.display for p in ps) == text


def test_pinyin_indices_follow_the_piece_text() -> None:
    atoms = stream("第一句。重新开始，")
    atoms[4] = Atom("重", "重", lang="zh", pinyin=("chong2",), fixed=True)
    ps = split(atoms, 80, 80)
    assert ps[1].text == "重新开始，" and ps[1].pinyin == {0: "chong2"}
    assert ps[0].pinyin == {}


def test_fixed_atoms_are_never_cut() -> None:
    number = Atom("一千二百八十万", "1,280万", lang="zh", fixed=True)
    atoms: Stream = [*stream("收入达到"), number, *stream("元")]
    for limit in range(2, 12):
        ps = split(atoms, limit, limit)
        assert "".join(texts(ps)) == "收入达到一千二百八十万元"
        assert any("一千二百八十万" in p.text and "1,280万" in p.display for p in ps)


def test_breaks() -> None:
    atoms: Stream = [
        Mark("break", 300),
        *stream("你好"),
        Mark("break", 700),
        *stream("世界。"),
        Mark("break", 50),
    ]
    ps = split(atoms, 80, 80)
    assert [(p.text, p.pause_ms, p.sentence) for p in ps] == [
        ("", 300, 0),
        ("你好", 700, 0),
        ("世界。", 50, 0),
    ]
    assert ps[0].is_silence


def test_sentence_marks_and_unspeakable_pieces() -> None:
    atoms: Stream = [*stream("一"), Mark("sentence"), *stream("——"), Mark("paragraph"), *stream("二")]
    ps = split(atoms, 80, 80)
    assert [(p.text, p.sentence, p.pause_ms) for p in ps] == [("一", 0, 600), ("二", 1, 0)]


def test_emoji_stays_in_display_only() -> None:
    (p,) = pieces("太棒了🎉！")
    assert p.text == "太棒了！" and p.display == "太棒了🎉！"
    assert not re.search(r"[\U0001F300-\U0001FAFF]", p.text)


def test_windows_line_breaks_are_single_breaks() -> None:
    ps = pieces("第一行\r\n第二行\r\n\r\n第二段")
    assert [(p.text, p.pause_ms) for p in ps] == [
        ("第一行", PAUSE_MS["sentence"]),
        ("第二行", PAUSE_MS["paragraph"]),
        ("第二段", 0),
    ]


def test_punctuation_before_the_first_words_stays_in_the_caption() -> None:
    atoms: Stream = [
        *stream("你好。"),
        Mark("break", 100),
        *stream("“"),
        Mark("break", 200),
        *stream("再见”"),
    ]
    ps = split(atoms, 80, 80)
    # the quote has no sound, so both breaks fall between the two pieces
    assert [(p.display, p.pause_ms) for p in ps] == [("你好。", 300), ("“再见”", 0)]


def test_cutting_a_huge_clause_less_text_stays_fast() -> None:
    import time

    words = "the quick brown fox jumps over the lazy dog " * 2000  # ~90k characters, no punctuation
    start = time.perf_counter()
    ps = pieces(words, first=12, limit=80)
    assert time.perf_counter() - start < 5  # quadratic cutting took minutes
    assert " ".join(texts(ps)) == words.strip()
    assert max(len(p.text) for p in ps) <= 2 * 80


def test_pieces_grow_so_each_is_ready_before_the_last_one_ends() -> None:
    text = "，".join(["我们今天讨论了产品的发布计划"] * 12) + "。"
    sizes = [len(p.text) for p in pieces(text, first=12, limit=80)]
    assert sizes[0] == 15  # one clause: clauses are never cut while the model can take them
    assert sizes == sorted(sizes[:-1]) + sizes[-1:] and max(sizes) <= 81
    assert sizes[0] < max(sizes)


@pytest.mark.parametrize(
    "text",
    [
        "今天上午九点，项目组召开了季度总结会议。会上大家回顾了过去三个月的工作进展，"
        "销售收入比去年同期增长了百分之十二。会议决定在明年三月前再招聘两名工程师。",
        "，".join(["我们今天讨论了产品的发布计划"] * 12) + "。",
        "The quarterly review began at nine in the morning with a short summary of the results. "
        "Revenue grew by twelve percent, while costs stayed almost flat. " * 3,
    ],
)
def test_no_piece_is_longer_than_the_first_budget_plus_twice_all_said_before_it(text: str) -> None:
    # Many streams on one voice, each made at least twice as fast as real time, stay ahead of
    # their listeners only if no piece outgrows twice the audio already queued in front of it;
    # the one exception is a single clause, never cut.
    ps = pieces(text, first=12, limit=80)
    letters = 1 if ps[0].lang == "zh" else 2
    said = 0
    for p in ps:
        one_clause = not re.search(r"[，,、：:]\s*\S", p.text)
        assert len(p.text) <= 12 * letters + 2 * said + 1 or one_clause, (p.text, said)
        said += len(p.text)
