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
from ..text.piece import Piece
from ..turns import Turns
from ..types import VoiceInfo
from .common import check_language, finish, trim_silence

SAMPLE_RATE = 22050
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
ESPEAK_RATE = 1
POS_CHARACTER = 1
CHARS_UTF8 = 1
DEFAULT_WPM = 175
MIN_WPM, MAX_WPM = 80, 450  # espeak's accepted range
ESPEAK_VOICES = {"zh": "cmn", "en": "en-us"}

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


class EspeakBackend(Backend):
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
        check_language(self.info, piece)
        text = piece.text.encode("utf-8") + b"\0"
        wpm = round(min(max(DEFAULT_WPM * speed, MIN_WPM), MAX_WPM))
        with _lock:
            lib = _library()
            _collected.clear()
            lib.espeak_SetVoiceByName(ESPEAK_VOICES[piece.lang].encode())
            lib.espeak_SetParameter(ESPEAK_RATE, wpm, 0)
            status = lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
            samples = np.concatenate(_collected) if _collected else np.zeros(0, dtype=np.int16)
            _collected.clear()
        if status != 0:
            raise TTSError(f"eSpeak NG could not synthesize this text (error {status})")
        return finish(trim_silence(samples.astype(np.float32) / 32768.0, SAMPLE_RATE))
