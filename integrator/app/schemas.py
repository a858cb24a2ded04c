"""HTTP request and response bodies. Requests forbid unknown fields: a typo is a 422 naming it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tts_engine.engine import MAX_RATE, MAX_SPEED, MIN_RATE, MIN_SPEED

from ..expressive import ExpressionFields

Format = Literal["pcm", "wav", "mp3", "opus", "flac", "aac"]
OpenAIFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
OPENAI_PCM_RATE = 24000
OPENAI_MIN_SPEED, OPENAI_MAX_SPEED = 0.25, 4.0


class TTSRequest(ExpressionFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "会议定于下午三点开始。", "format": "mp3"}]},
    )

    text: str | None = Field(None, description="Plain text to speak. Give this or `ssml`.")
    ssml: str | None = Field(None, description="SSML (`<speak>…</speak>`) to speak. Give this or `text`.")
    voice: str | None = Field(
        None, description="Voice id from /v1/voices; default: the configured voice for the text's language."
    )
    format: Format = Field("mp3", description="Audio format; `pcm` is raw s16le mono.")
    speed: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED, description="Pace multiplier.")
    sample_rate: int | None = Field(
        None, ge=MIN_RATE, le=MAX_RATE, description="Output rate in Hz (the nearest one the format allows)."
    )
    stream: bool = Field(
        False, description="Chunked response that starts while later sentences are synthesized."
    )

    @model_validator(mode="after")
    def _one_input(self) -> TTSRequest:
        if (self.text is None) == (self.ssml is None):
            raise ValueError("give exactly one of 'text' or 'ssml'")
        return self

    @property
    def content(self) -> str:
        return self.text if self.text is not None else self.ssml or ""


class VoiceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str


class SpeechRequest(BaseModel):
    """OpenAI's ``POST /v1/audio/speech`` body."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"model": "tts-1", "input": "Hello there.", "voice": "alloy"}]},
    )

    model: str = Field(description="tts-1, tts-1-hd, gpt-4o-mini-tts, voxflow, or a voice id (see `voice`).")
    input: str = Field(description="Text (or SSML starting with `<speak`) to speak.")
    voice: str | VoiceRef = Field(
        description="An OpenAI voice name (mapped per language of the input) or a Voxflow voice id."
    )
    instructions: str | None = Field(
        None,
        max_length=4096,
        description="Style, pace, loudness and pitch in words (用开心的语气, speak calmly and slowly); "
        "what was applied comes back in X-Voxflow-Instructions. See the README, Instructions.",
    )
    response_format: OpenAIFormat = Field("mp3", description="`pcm` is 24 kHz s16le mono, as OpenAI's.")
    speed: float = Field(
        1.0,
        ge=OPENAI_MIN_SPEED,
        le=OPENAI_MAX_SPEED,
        description=f"OpenAI's range; clamped to {MIN_SPEED}–{MAX_SPEED} (applied value: X-Voxflow-Speed).",
    )
    stream_format: Literal["audio", "sse"] = Field(
        "audio",
        description="`audio`: the bytes; `sse`: speech.audio.delta events (base64) and speech.audio.done.",
    )

    @property
    def voice_name(self) -> str:
        return self.voice if isinstance(self.voice, str) else self.voice.id


class VoiceEntry(BaseModel):
    id: str
    name: str
    language: str
    languages: list[str]
    sample_rate: int
    backend: str
    licence: str
    speakers: list[str]
    speaker: str | None
    description: str
    loaded: bool


class VoiceList(BaseModel):
    voices: list[VoiceEntry]
    default_voices: dict[str, str] = Field(description="Language -> voice used when a request names none.")
    openai_voices: list[str] = Field(description="OpenAI voice names accepted by /v1/audio/speech.")
    formats: list[str]
