"""An in-memory voice for tests: deterministic tones instead of a neural model."""

from __future__ import annotations

import threading
import time

import numpy as np

from .backend import Backend
from .errors import UnsupportedLanguageError
from .text.piece import Piece
from .types import VoiceInfo


class VoiceFault(RuntimeError):
    """What a ToneBackend with ``fail_on`` raises: a failure inside the voice, not a TTSError."""


class ToneBackend(Backend):
    """Speaks every character as 60 ms of a tone; records what it was asked.

    ``amplitude`` sets the level (to test loudness matching), ``delay_s`` makes
    each call slow (to test streaming and cancellation), ``dc`` adds an offset
    (to test seam cleaning), ``fail_on`` makes any piece containing that text raise
    :class:`VoiceFault` (to test a voice that breaks half-way through a request).
    """

    def __init__(
        self,
        voice_id: str = "test-tone",
        languages: tuple[str, ...] = ("zh", "en"),
        sample_rate: int = 16000,
        *,
        amplitude: float = 0.3,
        delay_s: float = 0.0,
        dc: float = 0.0,
        takes_pinyin: bool = False,
        native_speed: bool = True,
        fail_on: str | None = None,
    ) -> None:
        super().__init__()
        self.info = VoiceInfo(
            id=voice_id,
            name=voice_id,
            languages=languages,
            sample_rate=sample_rate,
            backend="tone",
            licence="Apache-2.0",
        )
        self.amplitude = amplitude
        self.delay_s = delay_s
        self.dc = dc
        self.takes_pinyin = takes_pinyin
        self.native_speed = native_speed
        self.fail_on = fail_on
        self.calls: list[tuple[Piece, float, float]] = []  # (piece, speed, monotonic time)
        self.loads = 0
        self.started = threading.Event()

    def load(self) -> None:
        self.loads += 1

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        if piece.lang not in self.info.languages:
            raise UnsupportedLanguageError(f"{self.info.id} cannot speak {piece.lang}")
        self.calls.append((piece, speed, time.monotonic()))
        self.started.set()
        if self.fail_on and self.fail_on in piece.text:
            raise VoiceFault(f"{self.info.id} broke on {piece.text!r}")
        if self.delay_s:
            time.sleep(self.delay_s)
        n = int(0.06 * self.info.sample_rate * len(piece.text) / speed)
        t = np.arange(n) / self.info.sample_rate
        freq = 220.0 if piece.lang == "zh" else 330.0
        return (self.amplitude * np.sin(2 * np.pi * freq * t) + self.dc).astype(np.float32)
