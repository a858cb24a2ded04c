"""Which voice speaks a request: our ids, the configured default per language, OpenAI's voice names."""

from __future__ import annotations

import re

from integrator.config import ServerConfig
from tts_engine.engine import Engine
from tts_engine.errors import UnknownVoiceError

OPENAI_VOICES = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "onyx",
    "nova",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)
OPENAI_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "voxflow")
_TAG = re.compile(r"<[^>]*>")


def language_of(text: str) -> str:
    """``zh`` when Han characters carry the text (a few English words inside stay zh), else ``en``."""
    text = _TAG.sub(" ", text)
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "zh" if han >= max(1, latin // 4) else "en"


def default_voice(engine: Engine, text: str) -> str:
    defaults = engine.default_voices
    voice = defaults.get(language_of(text)) or next(iter(defaults.values()), None)
    if voice is None:
        raise UnknownVoiceError("(none given and engine.default_voice is empty)", engine.registry.ids())
    return voice


def resolve_voice(engine: Engine, voice: str | None, text: str) -> str:
    """A voice id the engine knows (raises UnknownVoiceError listing them)."""
    voice_id = voice or default_voice(engine, text)
    engine.registry.info(voice_id)
    return voice_id


def resolve_openai_voice(engine: Engine, config: ServerConfig, voice: str, model: str, text: str) -> str:
    """``voice`` as an OpenAI name or one of our ids; a ``model`` that is one of our ids picks the voice
    behind an OpenAI name (for clients that hard-code ``voice="alloy"``)."""
    ids = engine.registry.ids()
    if voice in ids:
        return voice
    if voice.lower() not in OPENAI_VOICES:
        raise UnknownVoiceError(voice, [*ids, *OPENAI_VOICES])
    if model in ids:
        return model
    mapped = config.openai_voices.get(voice.lower(), {}).get(language_of(text))
    return mapped or default_voice(engine, text)


def check_config(engine: Engine, config: ServerConfig) -> None:
    """Fail at start-up, not on the first request, when the OpenAI mapping names unknown voices."""
    for name, by_lang in config.openai_voices.items():
        if name not in OPENAI_VOICES:
            raise ValueError(
                f"server.openai_voices: {name!r} is not an OpenAI voice name ({', '.join(OPENAI_VOICES)})"
            )
        for voice_id in by_lang.values():
            engine.registry.info(voice_id)
