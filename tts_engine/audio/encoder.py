"""The streaming encoder interface and the formats it covers."""

from __future__ import annotations

import abc

import numpy as np

from tts_engine.errors import InvalidOptionError

FORMATS = ("pcm", "wav", "mp3", "opus", "flac", "aac")

# pcm is raw signed 16-bit little-endian. It is not labelled audio/L16 because
# RFC 2586 L16 is big-endian. opus travels in Ogg; aac in ADTS frames.
MEDIA_TYPES: dict[str, str] = {
    "pcm": "audio/pcm",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
}


class StreamEncoder(abc.ABC):
    """Turns mono float32 audio into a byte stream, chunk by chunk.

    Bytes returned by :meth:`encode` are complete and can be sent at once: joined
    with those of :meth:`finish` they form one valid stream, and a decoder can
    start on any prefix. One encoder serves one stream and is not thread-safe.

    ``total_samples``, when given, is written into headers that carry a length
    (WAV, FLAC), so the stream must hold exactly that many samples: more raise
    ``ValueError``; fewer are made up with silence at :meth:`finish` so that the
    bytes already sent stay true to their header.
    """

    format: str
    media_type: str
    sample_rate: int

    def __init__(self, fmt: str, sample_rate: int, total_samples: int | None = None) -> None:
        if total_samples is not None and total_samples < 0:
            raise InvalidOptionError("total_samples must not be negative")
        self.format = fmt
        self.media_type = MEDIA_TYPES[fmt]
        self.sample_rate = sample_rate
        self._total = total_samples
        self._written = 0
        self._finished = False

    def encode(self, samples: np.ndarray) -> bytes:
        """Encode mono float samples in [-1, 1] at ``sample_rate``; returns bytes ready now (maybe none)."""
        self._check_open()
        x = _as_mono_float(samples)
        written = self._written + len(x)
        if self._total is not None and written > self._total:
            raise ValueError(f"{self.format} stream was opened for {self._total} samples; got {written}")
        self._written = written
        return self._encode(x)

    def finish(self) -> bytes:
        """Flush what the encoder holds and end the stream; the encoder is unusable afterwards."""
        self._check_open()
        self._finished = True
        missing = 0 if self._total is None else self._total - self._written
        head = self._encode(np.zeros(missing, np.float32)) if missing else b""
        return head + self._finish()

    @abc.abstractmethod
    def _encode(self, samples: np.ndarray) -> bytes: ...

    @abc.abstractmethod
    def _finish(self) -> bytes: ...

    def _check_open(self) -> None:
        if self._finished:
            raise RuntimeError(f"{self.format} encoder already finished")


def _as_mono_float(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {x.shape}")
    # Clipping keeps every codec's input in range (int16 conversion would wrap);
    # a model's stray NaN becomes silence instead of a full-scale click.
    return np.nan_to_num(np.clip(x.astype(np.float32, copy=False), -1.0, 1.0), copy=False)


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as little-endian int16, rounded."""
    return np.rint(x * 32767.0).astype("<i2")
