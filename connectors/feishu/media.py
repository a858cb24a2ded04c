"""The finished audio file of a job, measured and converted for Feishu."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from tts_engine.audio.codecs import encode_all

VOICE_MESSAGE_RATE = 16000  # Feishu voice messages: mono Ogg Opus; 16 kHz is what its own app records


def decode(path: Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Mono float32 samples of an audio file (resampled to ``rate`` when given) and their rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        out_rate = rate or stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=out_rate)
        chunks = []
        for frame in container.decode(stream):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples.astype(np.float32, copy=False), out_rate


def duration_s(path: Path) -> float:
    """The length a player decodes, in seconds: what the duration column should say."""
    samples, rate = decode(path)
    return len(samples) / rate


def voice_message(path: Path) -> tuple[bytes, int]:
    """The file as Ogg Opus mono 16 kHz, and its duration in milliseconds, as ``im/v1/files`` wants."""
    samples, rate = decode(path, VOICE_MESSAGE_RATE)
    return encode_all(samples, rate, "opus"), round(1000 * len(samples) / rate)
