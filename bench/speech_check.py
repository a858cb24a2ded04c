"""Offline speech checks for the prosody benchmark and tests: Whisper round trip (CER for Mandarin,
WER for English) and DNSMOS naturalness, through the project's scorer (tts_engine.scoring)."""

from __future__ import annotations

from functools import cache

import numpy as np

from tts_engine import scoring
from tts_engine.scoring import dnsmos, error_rate

__all__ = ["dnsmos", "error_rate", "transcribe"]


@cache
def _listener() -> scoring.Listener:
    return scoring.Listener(threads=1)


def transcribe(samples: np.ndarray, rate: int, lang: str) -> str:
    """What Whisper base hears in ``samples`` at ``rate`` Hz, spoken in ``lang``."""
    return _listener().hear(samples, rate, lang)
