"""eSpeak voices share one library state: concurrent calls from different voices must not mix."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from tts_engine.backend import Backend
from tts_engine.text.piece import Piece

pytest.importorskip("espeakng_loader")

PIECES = {"espeak-zh": Piece("今天天气很好", "zh"), "espeak-en": Piece("The quick brown fox jumps.", "en")}


def test_two_espeak_voices_in_parallel_each_get_their_own_audio(loaded: Callable[[str], Backend]) -> None:
    backends = {vid: loaded(vid) for vid in PIECES}
    # No turns taken here (the engine would take the shared ones): the module lock alone must keep them apart.
    expected = {vid: len(b.synthesize(PIECES[vid])) for vid, b in backends.items()}
    lengths: dict[str, list[int]] = {vid: [] for vid in PIECES}

    def speak(vid: str) -> None:
        for _ in range(15):
            lengths[vid].append(len(backends[vid].synthesize(PIECES[vid])))

    threads = [threading.Thread(target=speak, args=(vid,)) for vid in PIECES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for vid, got in lengths.items():
        # eSpeak adds a little noise, not whole words: mixed-up buffers would differ by far more
        assert len(got) == 15 and all(abs(n - expected[vid]) < 0.02 * expected[vid] for n in got), (vid, got)


def test_rate_follows_speed(loaded: Callable[[str], Backend]) -> None:
    backend = loaded("espeak-en")
    piece = PIECES["espeak-en"]
    normal = len(backend.synthesize(piece))
    assert len(backend.synthesize(piece, 2.0)) < 0.65 * normal
    assert len(backend.synthesize(piece, 0.5)) > 1.5 * normal
    assert np.max(np.abs(backend.synthesize(piece))) <= 1.0


def test_every_espeak_voice_takes_turns_on_the_one_library() -> None:
    from tts_engine.backends.espeak import EspeakBackend

    assert EspeakBackend("zh").turns is EspeakBackend("en").turns
