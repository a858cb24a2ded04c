"""Which voice speaks a request: our ids, the configured default per language, OpenAI's voice names."""

from __future__ import annotations

from integrator.config import ServerConfig
from tts_engine.engine import Engine
from tts_engine.errors import UnknownVoiceError
from tts_engine.text import main_language
from tts_engine.voice_mix import is_mix

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


def resolve_voice(engine: Engine, voice: str | None, text: str, *, ssml: bool | None = None) -> str:
    """A voice id the engine knows (raises UnknownVoiceError listing them); none named: the
    engine's choice for the language of ``text`` (read as SSML as ``ssml`` says)."""
    voice_id = voice or engine.default_voice(text, ssml=ssml)
    return engine.registry.info(voice_id).id  # a mix written another way: as the registry writes it


def resolve_openai_voice(
    engine: Engine, config: ServerConfig, voice: str, model: str, text: str, *, ssml: bool | None = None
) -> str:
    """``voice`` as an OpenAI name or one of our ids; a ``model`` that is one of our ids picks the voice
    behind an OpenAI name (for clients that hard-code ``voice="alloy"``). Otherwise the name maps by
    the language of ``text`` (``server.openai_voices``), and unmapped, to the engine's own choice."""
    ids = engine.registry.ids()
    if voice in ids or is_mix(voice):
        return engine.registry.info(voice).id
    if voice.lower() not in OPENAI_VOICES:
        raise UnknownVoiceError(voice, [*ids, *OPENAI_VOICES])
    if model in ids:
        return model
    mapped = config.openai_voices.get(voice.lower(), {}).get(main_language(text, ssml=ssml))
    return mapped or engine.default_voice(text, ssml=ssml)


def check_config(engine: Engine, config: ServerConfig) -> None:
    """Fail at start-up, not on the first request, when the OpenAI mapping names unknown voices."""
    for name, by_lang in config.openai_voices.items():
        if name not in OPENAI_VOICES:
            raise ValueError(
                f"server.openai_voices: {name!r} is not an OpenAI voice name ({', '.join(OPENAI_VOICES)})"
            )
        for voice_id in by_lang.values():
            engine.registry.info(voice_id)
