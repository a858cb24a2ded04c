"""Kokoro voice mixes with the real model: the style the model is fed is the weighted sum of the
speakers', a mix of one voice is that voice, and the blend moves the voice between its speakers."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tts_engine.backends import catalog
from tts_engine.backends.kokoro import KokoroBackend
from tts_engine.prosody.measure import hear
from tts_engine.registry import VoiceRegistry
from tts_engine.text.piece import Piece

pytestmark = pytest.mark.slow

KUMO, ALPHA = "zh-kokoro-kumo", "zh-kokoro-alpha"  # a male and a female speaker style
SENTENCE = Piece("我们明天上午十点开会。", "zh")


@pytest.fixture(scope="module")
def registry() -> Iterator[VoiceRegistry]:
    ok, why = catalog.available(KUMO)
    if not ok:
        pytest.skip(why)
    yield catalog.builtin_registry({"device": "cpu"}, {"zh-kokoro-warm": f"{KUMO}*0.7+{ALPHA}*0.3"})


@pytest.fixture(scope="module")
def spoken(registry: VoiceRegistry) -> dict[str, np.ndarray]:
    """One synthesis per voice, shared by the tests (Kokoro takes seconds a sentence on 2 cores)."""
    voices = [KUMO, f"{KUMO}*1", "zh-kokoro-warm", f"{KUMO}*0.3+{ALPHA}*0.7", ALPHA]
    return {v: registry.get(v).synthesize(SENTENCE) for v in voices}


def test_the_style_fed_to_the_model_is_the_weighted_sum_of_the_speakers(registry: VoiceRegistry) -> None:
    warm = registry.get("zh-kokoro-warm")
    assert isinstance(warm, KokoroBackend) and warm._model is not None and warm._style is not None
    styles = warm._model.styles
    expected = (0.7 * styles["jm_kumo"].astype(np.float64) + 0.3 * styles["jf_alpha"]).reshape(-1, 256)
    np.testing.assert_allclose(warm._style, expected, rtol=1e-6, atol=1e-7)
    assert not np.allclose(warm._style, styles["jm_kumo"].reshape(-1, 256))


def test_a_mix_of_one_voice_is_that_voice(spoken: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(spoken[f"{KUMO}*1"], spoken[KUMO])


def test_the_blend_moves_the_voice_between_its_speakers_by_weight(spoken: dict[str, np.ndarray]) -> None:
    pitch = {v: hear(audio, 24000).median_st for v, audio in spoken.items()}
    order = [KUMO, "zh-kokoro-warm", f"{KUMO}*0.3+{ALPHA}*0.7", ALPHA]
    # measured: kumo −1.7 st, 70 % kumo +5.4, 30 % kumo +12.2, alpha +16.2 (re 100 Hz)
    assert [pitch[v] for v in order] == sorted(pitch[v] for v in order), pitch
    assert pitch[ALPHA] - pitch[KUMO] > 6  # the speakers are far apart, so the steps mean something
    assert not np.array_equal(spoken["zh-kokoro-warm"], spoken[f"{KUMO}*0.3+{ALPHA}*0.7"])
