"""Choosing and opening a streaming encoder for an output format."""

from __future__ import annotations

from typing import IO

import numpy as np

from tts_engine.audio.av_encoder import AV_FORMATS, AvEncoder, with_flac_total
from tts_engine.audio.encoder import FORMATS, MEDIA_TYPES, StreamEncoder
from tts_engine.audio.wav import PcmEncoder, WavEncoder, wav_header
from tts_engine.errors import InvalidOptionError

__all__ = ["FORMATS", "MEDIA_TYPES", "StreamEncoder", "encode_all", "open_encoder", "output_rate"]

# Rates the codecs accept; formats not listed take any rate.
_RATES: dict[str, tuple[int, ...]] = {
    "opus": (8000, 12000, 16000, 24000, 48000),
    "mp3": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
    "aac": (7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000),
}


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of ``FORMATS``, else ``InvalidOptionError`` naming them."""
    if fmt not in FORMATS:
        raise InvalidOptionError(f"unknown audio format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return fmt


def output_rate(fmt: str, requested: int | None, source: int) -> int:
    """The sample rate to encode ``fmt`` at, so the caller knows what to resample to.

    ``requested`` (else ``source``) when the codec takes it; otherwise the
    lowest rate the codec takes above it (never throwing detail away), or the
    codec's highest rate.
    """
    check_format(fmt)
    want = requested if requested is not None else source
    if want <= 0:
        raise InvalidOptionError(f"sample rate must be positive, got {want}")
    allowed = _RATES.get(fmt)
    if allowed is None or want in allowed:
        return want
    return next((rate for rate in allowed if rate >= want), allowed[-1])


def open_encoder(
    fmt: str, sample_rate: int, *, bitrate: int | None = None, total_samples: int | None = None
) -> StreamEncoder:
    """A streaming encoder for ``fmt`` taking mono float32 at ``sample_rate`` (see :func:`output_rate`).

    ``bitrate`` (bits/s) applies to mp3, opus and aac; defaults: mp3 64k (32k at
    16 kHz and below), opus 32k, aac 64k. ``total_samples`` fixes the length in
    WAV and FLAC headers.
    """
    return _open(fmt, sample_rate, bitrate=bitrate, total_samples=total_samples, seekable=False)


def encode_all(samples: np.ndarray, sample_rate: int, fmt: str, *, bitrate: int | None = None) -> bytes:
    """``samples`` as one complete file in ``fmt``, with full headers (exact length, MP3 gapless info)."""
    samples = np.asarray(samples)
    encoder = _open(fmt, sample_rate, bitrate=bitrate, total_samples=len(samples), seekable=True)
    return encoder.encode(samples) + encoder.finish()


def seal_file(out: IO[bytes], fmt: str, sample_rate: int, total_samples: int) -> None:
    """Give a streamed file the length its stream could not: WAV sizes and the FLAC sample count.

    A stream's header goes out before its length is known; a file on disk can be fixed up
    afterwards, so players show the right duration. Other formats need nothing.
    """
    if fmt == "wav":
        out.seek(0)
        out.write(wav_header(sample_rate, total_samples))
    elif fmt == "flac":
        out.seek(0)
        head = out.read(26)
        out.seek(0)
        out.write(with_flac_total(head, total_samples))
    out.seek(0, 2)


def _open(
    fmt: str, sample_rate: int, *, bitrate: int | None, total_samples: int | None, seekable: bool
) -> StreamEncoder:
    check_format(fmt)
    allowed = _RATES.get(fmt)
    if sample_rate <= 0 or (allowed is not None and sample_rate not in allowed):
        hint = f"; it takes {', '.join(map(str, allowed))} Hz" if allowed else ""
        raise InvalidOptionError(f"{fmt} cannot be encoded at {sample_rate} Hz{hint}")
    if bitrate is not None and bitrate <= 0:
        raise InvalidOptionError(f"bitrate must be positive, got {bitrate}")
    if fmt == "pcm":
        return PcmEncoder(sample_rate, total_samples)
    if fmt == "wav":
        return WavEncoder(sample_rate, total_samples)
    assert fmt in AV_FORMATS
    return AvEncoder(fmt, sample_rate, bitrate=bitrate, total_samples=total_samples, seekable=seekable)
