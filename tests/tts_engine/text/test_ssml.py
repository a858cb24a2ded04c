from __future__ import annotations

import pytest

from tts_engine.errors import SSMLError
from tts_engine.text import Piece, analyze
from tts_engine.text.atoms import Atom, Mark
from tts_engine.text.ssml import parse


def speak(body: str, lang: str = "") -> list[Piece]:
    attr = f' xml:lang="{lang}"' if lang else ""
    return analyze(f"<speak{attr}>{body}</speak>", first_piece_chars=80)


def test_document_becomes_a_stream_of_atoms_and_marks() -> None:
    doc = parse('<speak xml:lang="zh-CN">会议<break time="500ms"/>开始<s>好</s></speak>')
    assert doc.lang == "zh"
    kinds = [(type(x).__name__, x.text if isinstance(x, Atom) else x.kind) for x in doc.stream]
    assert kinds == [
        ("Atom", "会"),
        ("Atom", "议"),
        ("Mark", "break"),
        ("Atom", "开"),
        ("Atom", "始"),
        ("Mark", "sentence"),
        ("Atom", "好"),
        ("Mark", "sentence"),
    ]
    assert isinstance(doc.stream[2], Mark) and doc.stream[2].ms == 500


@pytest.mark.parametrize(
    ("brk", "ms"),
    [
        ('time="500ms"', 500),
        ('time="1.5s"', 1500),
        ('time="0ms"', 0),
        ('strength="none"', 0),
        ('strength="weak"', 200),
        ('strength="strong"', 600),
        ('strength="x-strong"', 1000),
        ("", 350),
        ('time="250ms" strength="x-strong"', 250),  # an explicit time wins
    ],
)
def test_break_becomes_the_pause_after_the_preceding_piece(brk: str, ms: int) -> None:
    first, second = speak(f"你好<break {brk}/>世界")
    assert (first.text, first.pause_ms) == ("你好", ms)
    assert (second.text, second.sentence) == ("世界", 0)


def test_break_after_a_sentence_replaces_its_pause_and_breaks_add_up() -> None:
    first, _ = speak('Hello there.<break time="1s"/> Good morning.')
    assert first.pause_ms == 1000
    first, _ = speak('Hello<break time="200ms"/><break time="300ms"/>world')
    assert first.pause_ms == 500


def test_break_at_the_start_is_a_silent_piece() -> None:
    silent, piece = speak('<break time="300ms"/>你好。')
    assert silent.is_silence and silent.text == "" and silent.pause_ms == 300
    assert silent.lang == piece.lang == "zh"
    assert (piece.text, piece.sentence) == ("你好。", 0)


@pytest.mark.parametrize(
    ("body", "rate"),
    [
        ('<prosody rate="slow">慢</prosody>', 0.8),
        ('<prosody rate="x-fast">快</prosody>', 1.6),
        ('<prosody rate="80%">慢</prosody>', 0.8),
        ('<prosody rate="1.2">快</prosody>', 1.2),
        ('<prosody rate="80%"><prosody rate="1.5">嵌套</prosody></prosody>', 1.2),
        ('<prosody rate="x-slow"><prosody rate="slow">很慢</prosody></prosody>', 0.5),  # clamped
        ('<prosody rate="x-fast"><prosody rate="x-fast">很快</prosody></prosody>', 2.0),  # clamped
    ],
)
def test_prosody_rate_multiplies_and_clamps(body: str, rate: float) -> None:
    (piece,) = speak(body)
    assert piece.rate == pytest.approx(rate)


def test_rate_change_splits_pieces_within_a_sentence() -> None:
    pieces = speak('我们<prosody rate="slow">慢慢地</prosody>说话。')
    assert [(p.text, p.rate, p.sentence) for p in pieces] == [
        ("我们", 1.0, 0),
        ("慢慢地", 0.8, 0),
        ("说话。", 1.0, 0),
    ]


@pytest.mark.parametrize(
    ("body", "lang", "text"),
    [
        ('编号<say-as interpret-as="characters">110</say-as>', "zh", "编号一一零"),
        ('<say-as interpret-as="digits">2026</say-as>年', "zh", "二零二六年"),
        ('电话<say-as interpret-as="telephone">110</say-as>', "zh", "电话幺幺零"),
        (
            '日期<say-as interpret-as="date" format="mdy">11/21/2026</say-as>',
            "zh",
            "日期二零二六年十一月二十一日",
        ),
        ('共<say-as interpret-as="cardinal">1,280</say-as>人', "zh", "共一千二百八十人"),
        ('<say-as interpret-as="ordinal">3</say-as>名', "zh", "第三名"),
        ('Code <say-as interpret-as="spell-out">ABC</say-as>', "en", "Code A B C"),
        (
            'Dial <say-as interpret-as="telephone">555-1234</say-as>',
            "en",
            "Dial five five five, one two three four",
        ),
        (
            'On <say-as interpret-as="date" format="dmy">21.11.2026</say-as>',
            "en",
            "On November twenty-first, twenty twenty-six",
        ),
        ('The <say-as interpret-as="ordinal">21</say-as> floor', "en", "The twenty-first floor"),
    ],
)
def test_say_as_is_read_in_the_language_around_it(body: str, lang: str, text: str) -> None:
    (piece,) = speak(body)
    assert (piece.lang, piece.text) == (lang, text)


def test_say_as_content_alone_takes_the_document_language() -> None:
    (piece,) = speak('<say-as interpret-as="cardinal">1280</say-as>', lang="en-US")
    assert (piece.lang, piece.text) == ("en", "one thousand two hundred eighty")


def test_phoneme_sets_pinyin_and_is_not_normalized() -> None:
    (piece,) = speak(
        '请<phoneme alphabet="pinyin" ph="chong2 xin1">重新</phoneme>开始，去<phoneme alphabet="pinyin" '
        'ph="yin2 hang2">银行</phoneme>。'
    )
    assert piece.text == "请重新开始，去银行。"
    assert piece.pinyin == {1: "chong2", 2: "xin1", 7: "yin2", 8: "hang2"}


def test_sub_speaks_the_alias_and_shows_the_original() -> None:
    (piece,) = speak('欢迎使用<sub alias="沃克斯弗洛">Voxflow</sub>。')
    assert piece.text == "欢迎使用沃克斯弗洛。"
    assert piece.display == "欢迎使用Voxflow。"
    (piece,) = speak('<sub alias="World Wide Web Consortium">W3C</sub> rules.')
    assert piece.text == "World Wide Web Consortium rules."


def test_p_and_s_are_sentence_and_paragraph_boundaries() -> None:
    pieces = speak("<p><s>第一句</s><s>第二句</s></p><p>第二段</p>")
    assert [(p.text, p.sentence, p.pause_ms) for p in pieces] == [
        ("第一句", 0, 350),
        ("第二句", 1, 600),
        ("第二段", 2, 0),
    ]


def test_lang_tags_the_pieces_it_covers() -> None:
    pieces = speak('他说<lang xml:lang="fr">bonjour</lang>，然后说hello。')
    assert [(p.text, p.lang) for p in pieces] == [
        ("他说", "zh"),
        ("bonjour，", "fr"),
        ("然后说", "zh"),
        ("hello。", "en"),
    ]


def test_whitespace_and_entities() -> None:
    (piece,) = speak("\n  Hello\n    world &amp; R&amp;D &lt;3\n")
    assert piece.text == "Hello world and R and D three"
    (piece,) = speak("重[chong2]新")  # inline pinyin works inside SSML text too
    assert piece.pinyin == {0: "chong2"}


def test_ssml_detection() -> None:
    assert analyze("  <speak>你好</speak>")[0].text == "你好"
    assert analyze("<speak>你好</speak>", ssml=True)[0].text == "你好"
    with pytest.raises(SSMLError, match="root element must be <speak>"):
        analyze("<p>你好</p>", ssml=True)
    # ssml=False reads markup-looking text as text
    assert "speak" in analyze("<speak>hi</speak>", ssml=False, first_piece_chars=80)[0].text


def test_only_breaks_is_empty() -> None:
    from tts_engine.errors import EmptyTextError

    with pytest.raises(EmptyTextError):
        analyze('<speak><break time="1s"/></speak>')


@pytest.mark.parametrize(
    ("doc", "line", "tag", "message"),
    [
        ("<speak>\n你好\n<voice name='x'>hi</voice></speak>", 3, "voice", "unsupported element"),
        ("<speak>\n<p>unclosed\n</speak>", 3, "p", "malformed XML: mismatched tag"),
        ("<speak>你好", 1, "speak", "malformed XML"),
        ("<speak>\n<break time='fast'/></speak>", 2, "break", "invalid time 'fast'"),
        ("<speak>\n\n<break time='20s'/></speak>", 3, "break", "longer than 10s"),
        ("<speak><break strength='loud'/></speak>", 1, "break", "invalid strength 'loud'"),
        ("<speak><break>text</break></speak>", 1, "break", "must be empty"),
        ("<speak>\n<prosody rate='abc'>x</prosody></speak>", 2, "prosody", "invalid rate 'abc'"),
        ("<speak><prosody rate='-10%'>x</prosody></speak>", 1, "prosody", "invalid rate"),
        ("<speak><prosody rate='0'>x</prosody></speak>", 1, "prosody", "invalid rate"),
        ("<speak><prosody contour='x'>x</prosody></speak>", 1, "prosody", "unsupported attribute 'contour'"),
        (
            "<speak>\n<say-as interpret-as='currency'>$1</say-as></speak>",
            2,
            "say-as",
            "unsupported interpret-as",
        ),
        ("<speak><say-as>1</say-as></speak>", 1, "say-as", "missing required attribute 'interpret-as'"),
        ("<speak>\n\n<say-as interpret-as='date'>2026-13-45</say-as></speak>", 3, "say-as", "is not a date"),
        ("<speak><say-as interpret-as='cardinal'>twelve</say-as></speak>", 1, "say-as", "is not a number"),
        (
            "<speak><say-as interpret-as='cardinal' format='ymd'>1</say-as></speak>",
            1,
            "say-as",
            "invalid format",
        ),
        ("<speak><say-as interpret-as='digits'></say-as></speak>", 1, "say-as", "is empty"),
        ("<speak>\n<phoneme alphabet='ipa' ph='x'>a</phoneme></speak>", 2, "phoneme", "alphabet 'ipa'"),
        (
            "<speak>\n<phoneme alphabet='pinyin' ph='chong2'>重新</phoneme></speak>",
            2,
            "phoneme",
            "2 Han characters but 1",
        ),
        (
            "<speak><phoneme alphabet='pinyin' ph='chong9 xin1'>重新</phoneme></speak>",
            1,
            "phoneme",
            "'chong9'",
        ),
        (
            "<speak><phoneme ph='chong2'>重</phoneme></speak>",
            1,
            "phoneme",
            "missing required attribute 'alphabet'",
        ),
        ("<speak><sub alias=''>W3C</sub></speak>", 1, "sub", "missing required attribute 'alias'"),
        ("<speak><sub alias='x'>\n<break/></sub></speak>", 2, "break", "<sub> may contain only text"),
        ("<speak><lang>x</lang></speak>", 1, "lang", "missing required attribute 'xml:lang'"),
        ("<speak><lang xml:lang='english!'>x</lang></speak>", 1, "lang", "invalid xml:lang"),
        ("<speak>\n<speak>x</speak></speak>", 2, "speak", "cannot be nested"),
        ("<voice>x</voice>", 1, "voice", "root element must be <speak>"),
        ("<speak>\n\n\n重[chong]新</speak>", 4, "speak", "tone"),
        ("<!DOCTYPE speak [<!ENTITY x 'y'>]><speak>&x;</speak>", 1, None, "DOCTYPE"),
    ],
)
def test_invalid_ssml_names_line_and_tag(doc: str, line: int, tag: str | None, message: str) -> None:
    with pytest.raises(SSMLError) as err:
        analyze(doc, ssml=True)
    e = err.value
    assert (e.line, e.tag) == (line, tag)
    assert message in str(e)
    assert f"line {line}" in str(e)
    if tag:
        assert f"<{tag}>" in str(e)
