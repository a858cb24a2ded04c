"""Raw PCM and streaming WAV encoders.

The WAV header is written with :mod:`struct`: libraries that write WAV
(soundfile, wave, PyAV) seek back to fill in the sizes when they close, which a
stream already on the wire cannot do. A streaming header either carries the
sizes known up front or the 0xFFFFFFFF "unknown length" that ffmpeg, browsers
and libsndfile read to the end of the stream.
"""

from __future__ import annotations

import struct

import numpy as np

from tts_engine.audio.encoder import StreamEncoder, to_pcm16
from tts_engine.errors import InvalidOptionError

_UNKNOWN = 0xFFFFFFFF
_HEADER_SIZE = 44


def wav_header(sample_rate: int, total_samples: int | None = None) -> bytes:
    """A 44-byte RIFF/WAVE header for mono s16le; sizes 0xFFFFFFFF when ``total_samples`` is None."""
    if total_samples is None:
        riff_size = data_size = _UNKNOWN
    else:
        data_size = 2 * total_samples
        riff_size = data_size + _HEADER_SIZE - 8
        if riff_size >= _UNKNOWN:
            raise InvalidOptionError(f"{total_samples} samples do not fit a WAV file")
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", riff_size, b"WAVE",
        b"fmt ", 16, 1, 1, sample_rate, 2 * sample_rate, 2, 16,
        b"data", data_size,
    )  # fmt: skip


class PcmEncoder(StreamEncoder):
    """Headerless signed 16-bit little-endian mono."""

    def __init__(self, sample_rate: int, total_samples: int | None = None) -> None:
        super().__init__("pcm", sample_rate, total_samples)

    def _encode(self, samples: np.ndarray) -> bytes:
        return to_pcm16(samples).tobytes()

    def _finish(self) -> bytes:
        return b""


class WavEncoder(StreamEncoder):
    """WAV whose header goes out with the first bytes; exact sizes when ``total_samples`` is given."""

    def __init__(self, sample_rate: int, total_samples: int | None = None) -> None:
        super().__init__("wav", sample_rate, total_samples)
        self._header: bytes | None = wav_header(sample_rate, total_samples)

    def _encode(self, samples: np.ndarray) -> bytes:
        return self._take_header() + to_pcm16(samples).tobytes()

    def _finish(self) -> bytes:
        return self._take_header()

    def _take_header(self) -> bytes:
        header, self._header = self._header or b"", None
        return header
