"""Audio for the engine: streaming encoders and small signal helpers."""

from tts_engine.audio.codecs import (
    FORMATS,
    MEDIA_TYPES,
    StreamEncoder,
    check_format,
    encode_all,
    open_encoder,
    output_rate,
    seal_file,
)
from tts_engine.audio.dsp import (
    Resampler,
    fade,
    gain_for_target,
    limit,
    loudness_lufs,
    remove_dc,
    resample,
    silence,
    time_stretch,
    trim_silence,
)

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Resampler",
    "StreamEncoder",
    "check_format",
    "encode_all",
    "fade",
    "gain_for_target",
    "limit",
    "loudness_lufs",
    "open_encoder",
    "output_rate",
    "remove_dc",
    "resample",
    "seal_file",
    "silence",
    "time_stretch",
    "trim_silence",
]
