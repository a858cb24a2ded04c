"""Builds the engine a process uses from its settings."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from tts_engine.backends.catalog import available, builtin_registry
from tts_engine.engine import Engine
from tts_engine.policy import TextPolicy
from tts_engine.prosody.styles import StyleBook
from tts_engine.registry import VoiceRegistry
from tts_engine.text import Lexicon

from .config import PRELOAD_DEFAULTS, Settings
from .policy import text_policy

# Test switch: VOXFLOW_TEST_ENGINE=tone[:SECONDS] gives an engine of deterministic ToneBackend voices
# (each piece taking SECONDS), so subprocess tests (job worker crash drills) need no models.
TEST_ENGINE_ENV = "VOXFLOW_TEST_ENGINE"


def build_engine(settings: Settings, policy: TextPolicy | None = None) -> Engine:
    """The engine ``settings`` describe, screening texts with ``policy`` (a process that composed
    its Services passes theirs; default: composed here from ``settings.policy``)."""
    policy = policy if policy is not None else text_policy(settings.policy)
    if os.environ.get(TEST_ENGINE_ENV):
        return _test_engine(os.environ[TEST_ENGINE_ENV], settings, policy)
    cfg = settings.engine
    registry = builtin_registry({"device": cfg.device, "voices": cfg.voices}, cfg.mixes)
    lexicon = Lexicon.load(cfg.lexicon) if cfg.lexicon else None
    for voice_id in cfg.preload:
        if voice_id != PRELOAD_DEFAULTS:
            registry.info(voice_id)  # an unknown id in the config fails here, at start-up
    return Engine(
        registry,
        default_voices=resolve_default_voices(cfg.default_voice, registry, {"voices": cfg.voices}),
        max_chars=cfg.max_chars,
        lexicon=lexicon,
        target_lufs=cfg.target_lufs,
        styles=StyleBook.from_settings(cfg.styles),
        policy=policy,
    )


def resolve_default_voices(
    choices: Mapping[str, str | Sequence[str]], registry: VoiceRegistry, config: Mapping[str, object]
) -> dict[str, str]:
    """``engine.default_voice`` resolved: per language, the first voice listed that can load here.

    The embedded defaults list the measured best first (README, "Which voice speaks") and a
    voice from the base install after it, for an install without that voice's extra. When none
    can load, the first stays, so using it names what to install. Unknown ids fail here.
    """
    resolved = {}
    for lang, ids in choices.items():
        listed = [ids] if isinstance(ids, str) else list(ids)
        infos = [registry.info(voice_id) for voice_id in listed]
        loadable = [info.id for info in infos if available(info, config)[0]]
        resolved[lang] = loadable[0] if loadable else listed[0]
    return resolved


def _test_engine(spec: str, settings: Settings, policy: TextPolicy) -> Engine:
    from tts_engine.testing import ToneBackend

    kind, _, delay = spec.partition(":")
    if kind != "tone":
        raise ValueError(f"{TEST_ENGINE_ENV}={spec!r}: only 'tone[:SECONDS]' is known")
    voice = ToneBackend("test-tone", delay_s=float(delay or 0))
    registry = VoiceRegistry([voice.info], {voice.info.id: lambda: voice})
    return Engine(
        registry,
        default_voices={"zh": voice.info.id, "en": voice.info.id},
        max_chars=settings.engine.max_chars,
        target_lufs=settings.engine.target_lufs,
        styles=StyleBook.from_settings(settings.engine.styles),
        policy=policy,
    )


def default_voice_for(engine: Engine, text: str, ssml: bool | None = None) -> str:
    """The engine's voice for ``text`` when none is named (:meth:`Engine.default_voice`), under the
    name older callers import."""
    return engine.default_voice(text, ssml=ssml)
