"""``POST /v1/audio/speech`` as OpenAI's audio API has it, so the official SDKs work unchanged.

Differences, on purpose: ``speed`` outside 0.5–2.0 (but inside OpenAI's 0.25–4.0) is clamped
and the applied value returned in ``X-Voxflow-Speed``; ``instructions`` is read by a small fixed
set of rules (tts_engine.prosody.instructions) and what it applied returned in
``X-Voxflow-Instructions``; ``sse`` works with every model; the response always streams (chunked)
as audio is made.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import Response

from tts_engine.audio.codecs import MEDIA_TYPES
from tts_engine.engine import MAX_SPEED, MIN_SPEED
from tts_engine.errors import TTSError
from tts_engine.prosody.instructions import read as read_instructions
from tts_engine.types import SynthesisOptions

from .errors import ApiError, error_responses, from_stream_failure, from_tts_error
from .responses import AudioStreamResponse
from .schemas import OPENAI_PCM_RATE, SpeechRequest
from .state import ServiceDep
from .synthesis import AudioStream
from .tts import AUDIO_HEADERS, audio_bytes, audio_content
from .voices import OPENAI_MODELS, OPENAI_VOICES, resolve_openai_voice

router = APIRouter(prefix="/v1/audio", tags=["openai"])
SSE_MEDIA_TYPE = "text/event-stream"


@router.post(
    "/speech",
    response_class=Response,
    responses={
        200: {
            "description": "The audio as it is made (chunked), or with `stream_format: sse` a stream of "
            "`speech.audio.delta` events (base64 `audio`) closed by `speech.audio.done` (`usage`). "
            "Should synthesis fail half-way, the chunked body ends without its last chunk (an "
            "incomplete read), and the SSE stream with an `error` event: "
            '`{"type": "error", "error": {message, type, param, code}}`',
            "content": {
                **audio_content(("mp3", "opus", "aac", "flac", "wav", "pcm")),
                SSE_MEDIA_TYPE: {"schema": {"type": "string"}},
            },
            "headers": {
                **AUDIO_HEADERS,
                "X-Voxflow-Speed": {
                    "description": "Speed applied after clamping",
                    "schema": {"type": "number"},
                },
                "X-Voxflow-Instructions": {
                    "description": "What `instructions` applied (`style=calm; intensity=0.7; rate=0.85`, "
                    "or `none`); absent without instructions",
                    "schema": {"type": "string"},
                },
            },
        },
        **error_responses(400, 401, 413, 422, 503),
    },
)
async def create_speech(body: SpeechRequest, service: ServiceDep) -> Response:
    """Text to speech, compatible with OpenAI's `audio.speech.create`."""
    received_at = time.perf_counter()
    engine = service.engine
    if body.model not in OPENAI_MODELS and body.model not in engine.registry.ids():
        raise ApiError(
            400,
            "model_not_found",
            f"unknown model {body.model!r}; use one of {', '.join(OPENAI_MODELS)} or a voice id",
            param="model",
        )
    fmt = body.response_format
    speed = min(MAX_SPEED, max(MIN_SPEED, body.speed))
    options = SynthesisOptions(speed=speed, sample_rate=OPENAI_PCM_RATE if fmt == "pcm" else None)
    reading = read_instructions(body.instructions, engine.styles) if body.instructions else None
    if reading is not None:
        options = replace(options, expression=reading.expression)
    try:
        voice_id = resolve_openai_voice(
            engine, service.settings.server, body.voice_name, body.model, body.input, ssml=options.ssml
        )
        plan = await service.prepare(body.input, voice_id, fmt, options)
    except TTSError as exc:
        raise from_tts_error(
            exc, text_param="input", known_voices=[*engine.registry.ids(), *OPENAI_VOICES]
        ) from None
    slot = await service.admission.acquire(voice_id)
    assert slot is not None
    stream = service.open_stream(plan, fmt)
    headers = {
        "X-Voxflow-Voice": voice_id,
        "X-Voxflow-Sample-Rate": str(plan.sample_rate),
        "X-Voxflow-Speed": f"{speed:g}",
    }
    if reading is not None:
        headers["X-Voxflow-Instructions"] = quote(reading.header(), safe="=; +-.")
    if body.stream_format == "sse":
        content, media_type = sse_events(stream, len(body.input)), SSE_MEDIA_TYPE
        headers["Cache-Control"] = "no-cache"
    else:
        content, media_type = audio_bytes(stream), MEDIA_TYPES[fmt]
    return AudioStreamResponse(
        content,
        media_type=media_type,
        headers=headers,
        on_disconnect=stream.cancel.set,
        on_close=lambda: service.close_stream(stream, slot, received_at),
    )


async def sse_events(stream: AudioStream, input_chars: int) -> AsyncIterator[bytes]:
    """OpenAI's speech SSE. We have no tokens: usage counts input characters and 20 ms audio frames.
    A failure half-way ends the stream with an ``error`` event in OpenAI's error shape."""
    try:
        async for data in audio_bytes(stream):
            yield _event({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode("ascii")})
    except Exception as exc:
        yield _event({"type": "error", **from_stream_failure(exc, text_param="input").body()})
        return
    frames = math.ceil(stream.audio_ms / 20)
    usage = {"input_tokens": input_chars, "output_tokens": frames, "total_tokens": input_chars + frames}
    yield _event({"type": "speech.audio.done", "usage": usage})


def _event(payload: dict[str, object]) -> bytes:
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()
