"""Kokoro's style: which row of a voice's table each call is spoken in, and blended voices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tts_engine.backends import catalog, kokoro
from tts_engine.backends.kokoro import KokoroBackend, _Model
from tts_engine.errors import VoiceUnavailableError
from tts_engine.text.piece import Piece

ROWS = 510


class FakeSession:
    """Records the style row of every run and answers a short burst of sound."""

    def __init__(self) -> None:
        self.rows: list[float] = []

    def run(self, _: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.rows.append(float(feeds["style"][0, 0]))
        return [np.full(2400, 0.5, dtype=np.float32)]


def table(offset: float) -> np.ndarray:
    """A style table whose row i holds offset + i everywhere, as shipped: (510, 1, 256)."""
    return (offset + np.arange(ROWS, dtype=np.float32))[:, None, None] * np.ones((1, 1, 256), np.float32)


def backend(
    short: str = "kumo", weights: dict[str, float] | None = None
) -> tuple[KokoroBackend, FakeSession]:
    session = FakeSession()
    styles = {"jm_kumo": table(0.0), "jf_alpha": table(1000.0)}
    model = _Model(session, {"a": 1, "，": 2}, styles, lambda text, lang, pinyin: "a" * len(text))  # type: ignore[arg-type]
    voice = KokoroBackend(short, "zh", weights=weights)
    voice._model, voice._style = model, model.style(voice.weights)
    return voice, session


def test_a_whole_sentence_is_spoken_in_the_row_of_its_own_length() -> None:
    voice, session = backend()
    voice.synthesize(Piece("你" * 30, "zh"))
    assert session.rows == [29.0]  # row i is for utterances of i + 1 tokens


def test_a_part_of_a_sentence_is_spoken_in_the_style_of_the_whole_sentence() -> None:
    voice, session = backend()
    voice.synthesize(Piece("你" * 10, "zh", whole_chars=40))
    assert session.rows == [39.0]
    voice.synthesize(Piece("你" * 10, "zh", whole_chars=4000))
    assert session.rows[-1] == ROWS - 1  # no row beyond the table


def test_a_blend_mixes_the_speakers_tables_by_weight() -> None:
    voice, session = backend("blend", {"jm_kumo": 0.75, "jf_alpha": 0.25})
    voice.synthesize(Piece("你" * 30, "zh"))
    assert session.rows == [pytest.approx(0.75 * 29 + 0.25 * 1029)]


def test_a_blend_of_a_speaker_that_does_not_ship_is_refused() -> None:
    with pytest.raises(VoiceUnavailableError, match="jf_nobody"):
        backend("blend", {"jf_nobody": 1.0})


def test_every_shipped_blend_is_a_voice_in_both_languages_with_weights_summing_to_one() -> None:
    ids = {info.id for info in catalog.voice_infos()}
    for short, weights in kokoro.BLENDS.items():
        assert {f"zh-kokoro-{short}", f"en-kokoro-{short}"} <= ids
        assert sum(weights.values()) == pytest.approx(1.0)
        assert set(weights) <= set(kokoro.SPEAKERS.values())


def test_a_voice_mix_is_a_blend_of_its_voices_speakers_by_the_mix_weights() -> None:
    registry = catalog.builtin_registry({"device": "cpu"})
    info = registry.info("zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3")
    voice = registry._factories[info.id]()
    assert isinstance(voice, KokoroBackend) and voice.info == info
    assert voice.weights == pytest.approx({"jm_kumo": 0.7, "jf_alpha": 0.3})
    session = FakeSession()
    styles = {"jm_kumo": table(0.0), "jf_alpha": table(1000.0)}
    model = _Model(session, {"a": 1}, styles, lambda text, lang, pinyin: "a" * len(text))  # type: ignore[arg-type]
    voice._model, voice._style = model, model.style(voice.weights)
    voice.synthesize(Piece("你" * 30, "zh"))
    assert session.rows == [pytest.approx(0.7 * 29 + 0.3 * 1029)]  # the style row fed is the weighted sum
