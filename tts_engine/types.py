"""Small value types shared by the engine, its backends and its callers."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from .prosody.expression import Expression


@dataclass(frozen=True)
class VoiceInfo:
    """What a voice is, for listings and routing.

    ``languages`` are ISO 639-1 codes the voice can speak, its own first.
    ``sample_rate`` is in Hz. ``speakers`` lists selectable speakers (empty when
    the voice has one). ``piece_chars`` is the longest piece the model speaks well in one
    call, in Chinese characters (a Latin letter counts half): sentences up to it are never cut.
    """

    id: str
    name: str
    languages: tuple[str, ...]
    sample_rate: int
    backend: str
    licence: str
    speakers: tuple[str, ...] = ()
    speaker: str | None = None
    description: str = ""
    piece_chars: int = 80

    @property
    def language(self) -> str:
        return self.languages[0]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "languages": list(self.languages),
            "sample_rate": self.sample_rate,
            "backend": self.backend,
            "licence": self.licence,
            "speakers": list(self.speakers),
            "speaker": self.speaker,
            "description": self.description,
        }


@dataclass
class SynthesisOptions:
    """How to speak a request.

    ``speed`` is a multiplier, 0.5–2.0 (1.0 = the voice's natural pace).
    ``sample_rate`` in Hz resamples the output; ``None`` keeps the voice's rate.
    ``ssml`` forces SSML parsing (``None``: SSML when the text starts with ``<speak``).
    ``cancel`` stops synthesis at the next piece boundary once set.
    ``max_chars`` limits input length; ``None`` means the engine default.
    ``expression`` is the speaking style, its intensity and a target duration.
    """

    speed: float = 1.0
    sample_rate: int | None = None
    ssml: bool | None = None
    cancel: threading.Event | None = None
    max_chars: int | None = None
    route_languages: bool = True
    expression: Expression = field(default_factory=Expression)


@dataclass(frozen=True)
class SentenceTiming:
    """Where a sentence sits in the output audio. Times in milliseconds from the stream start."""

    index: int
    text: str
    start_ms: float
    end_ms: float


@dataclass(frozen=True)
class AudioChunk:
    """A piece of synthesized audio, mono float32 in [-1, 1].

    ``offset_ms`` is where the chunk starts in the stream. ``sentence`` is the
    sentence the chunk belongs to (timing filled in as far as known when the
    chunk leaves); ``final`` marks the last chunk of a sentence.
    """

    samples: np.ndarray
    sample_rate: int
    offset_ms: float
    sentence: SentenceTiming
    final: bool = False
    voice_id: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        return 1000.0 * len(self.samples) / self.sample_rate

    def pcm16(self) -> bytes:
        """Little-endian signed 16-bit PCM of the samples."""
        return (np.clip(self.samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
