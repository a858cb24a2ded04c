"""eSpeak NG 1.52 (formant synthesis) through ctypes to espeakng-loader's bundled library.

libespeak-ng keeps one global state per loaded library (voice, rate, callback),
so every espeak voice in the process shares one module-level lock. Piper links
its own static copy and phonemizer loads a private copy of the file, so neither
touches this state.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import numpy as np

from ..backend import Backend
from ..errors import TTSError, VoiceUnavailableError
from ..prosody.controls import PITCH_ST, RANGE, Controls
from ..text.piece import Piece
from ..turns import Turns
from ..types import VoiceInfo
from .common import check_language, finish, trim_silence

SAMPLE_RATE = 22050
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
ESPEAK_RATE = 1
ESPEAK_PITCH, ESPEAK_RANGE = 3, 4  # both 0-100, 50 by default
POS_CHARACTER = 1
CHARS_UTF8 = 1
DEFAULT_WPM = 175
MIN_WPM, MAX_WPM = 80, 450  # espeak's accepted range
ESPEAK_VOICES = {"zh": "cmn", "en": "en-us"}
# Measured with Praat on three sentences each in cmn and en-us (means of both): the pitch setting
# against the shift of the median pitch in semitones, the range it leaves (the range setting is in
# hertz, so a higher voice sounds flatter), and the range setting against the range in semitones.
PITCH_SETTING = (
    (20, -4.35), (30, -3.26), (40, -1.72), (50, 0.0), (60, 1.88), (70, 3.77), (80, 5.68), (90, 7.7),
)  # fmt: skip
RANGE_LEFT = (
    (20, 0.73), (30, 1.14), (40, 1.12), (50, 1.0), (60, 0.9), (70, 0.79), (80, 0.73), (90, 0.64),
)  # fmt: skip
RANGE_SETTING = (
    (0, 0.09), (10, 0.21), (20, 0.42), (30, 0.62), (40, 0.81), (50, 1.0),
    (60, 1.17), (70, 1.38), (80, 1.58), (90, 1.76), (100, 1.84),
)  # fmt: skip

INFOS = {
    "espeak-zh": VoiceInfo(
        id="espeak-zh",
        name="eSpeak NG (Mandarin)",
        languages=("zh", "en"),
        sample_rate=SAMPLE_RATE,
        backend="espeak",
        licence="GPL-3.0-or-later",
        description="Formant synthesis: robotic but instant; a fallback voice.",
    ),
    "espeak-en": VoiceInfo(
        id="espeak-en",
        name="eSpeak NG (US English)",
        languages=("en", "zh"),
        sample_rate=SAMPLE_RATE,
        backend="espeak",
        licence="GPL-3.0-or-later",
        description="Formant synthesis: robotic but instant; a fallback voice.",
    ),
}

# int callback(short *wav, int numsamples, espeak_EVENT *events); return 0 to go on
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

_lock = threading.Lock()  # guards the library's global state and _collected
_turns = Turns()
_lib: Any = None
_collected: list[np.ndarray] = []


@_SynthCallback
def _on_samples(wav: Any, count: int, _events: Any) -> int:
    if wav and count > 0:
        _collected.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
    return 0


def _library() -> Any:
    """Load and initialize libespeak-ng once per process; call with _lock held."""
    global _lib
    if _lib is None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise VoiceUnavailableError(
                f"eSpeak needs espeakng-loader: pip install espeakng-loader ({exc})"
            ) from exc
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, INITIALIZE_DONT_EXIT)
        if rate != SAMPLE_RATE:
            raise VoiceUnavailableError(f"libespeak-ng failed to initialize (returned {rate})")
        lib.espeak_SetSynthCallback(_on_samples)
        _lib = lib
    return _lib


def settings_for(controls: Controls) -> tuple[int, int]:
    """eSpeak's pitch and range settings (0-100) for ``controls``."""
    settings, shifts = zip(*PITCH_SETTING, strict=True)
    pitch = float(np.interp(controls.pitch_st, shifts, settings))
    pitches, lefts = zip(*RANGE_LEFT, strict=True)
    left = float(np.interp(pitch, pitches, lefts))
    ranges, factors = zip(*RANGE_SETTING, strict=True)
    return round(pitch), round(float(np.interp(controls.range / left, factors, ranges)))


class EspeakBackend(Backend):
    controls = frozenset({PITCH_ST, RANGE})

    def __init__(self, lang: str = "en") -> None:
        super().__init__()
        self.turns = _turns  # every espeak voice drives the one library: they take turns together
        voice_id = f"espeak-{lang}"
        if voice_id not in INFOS:
            raise VoiceUnavailableError(f"no eSpeak voice {voice_id!r}")
        self.info = INFOS[voice_id]

    def load(self) -> None:
        with _lock:
            lib = _library()
            for name in ESPEAK_VOICES.values():
                if lib.espeak_SetVoiceByName(name.encode()) != 0:
                    raise VoiceUnavailableError(f"eSpeak NG has no voice {name!r} in its data")

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        return self.synthesize_with(piece, speed, Controls())

    def synthesize_with(self, piece: Piece, speed: float, controls: Controls) -> np.ndarray:
        check_language(self.info, piece)
        pitch, span = settings_for(controls)
        text = piece.text.encode("utf-8") + b"\0"
        wpm = round(min(max(DEFAULT_WPM * speed, MIN_WPM), MAX_WPM))
        with _lock:
            lib = _library()
            _collected.clear()
            lib.espeak_SetVoiceByName(ESPEAK_VOICES[piece.lang].encode())
            lib.espeak_SetParameter(ESPEAK_RATE, wpm, 0)
            lib.espeak_SetParameter(ESPEAK_PITCH, pitch, 0)
            lib.espeak_SetParameter(ESPEAK_RANGE, span, 0)
            status = lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
            samples = np.concatenate(_collected) if _collected else np.zeros(0, dtype=np.int16)
            _collected.clear()
        if status != 0:
            raise TTSError(f"eSpeak NG could not synthesize this text (error {status})")
        return finish(trim_silence(samples.astype(np.float32) / 32768.0, SAMPLE_RATE))
