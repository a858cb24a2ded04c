"""Voxflow's own HTTP API: ``GET /v1/voices`` and ``POST /v1/tts``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import numpy as np
from fastapi import APIRouter
from starlette.responses import Response

from tts_engine.audio.codecs import FORMATS, MEDIA_TYPES, encode_all
from tts_engine.types import SynthesisOptions

from .errors import error_responses
from .responses import AudioStreamResponse
from .schemas import TTSRequest, VoiceEntry, VoiceList
from .state import ServiceDep
from .synthesis import AudioStream
from .voices import OPENAI_VOICES, resolve_voice

router = APIRouter(prefix="/v1", tags=["speech"])

AUDIO_HEADERS = {
    "X-Voxflow-Voice": {"description": "The voice that spoke", "schema": {"type": "string"}},
    "X-Voxflow-Sample-Rate": {"description": "Sample rate of the audio in Hz", "schema": {"type": "integer"}},
}


def audio_content(formats: tuple[str, ...] = FORMATS) -> dict[str, Any]:
    return {MEDIA_TYPES[f]: {"schema": {"type": "string", "format": "binary"}} for f in formats}


@router.get("/voices", response_model=VoiceList, responses=error_responses(401))
async def list_voices(service: ServiceDep) -> VoiceList:
    """Every voice, whether it is loaded yet, and the defaults per language."""
    engine = service.engine
    entries = [
        VoiceEntry.model_validate({**info.as_dict(), "loaded": engine.registry.is_loaded(info.id)})
        for info in engine.voices()
    ]
    return VoiceList(
        voices=entries,
        default_voices=engine.default_voices,
        openai_voices=list(OPENAI_VOICES),
        formats=list(FORMATS),
    )


@router.post(
    "/tts",
    response_class=Response,
    responses={
        200: {
            "description": "The audio: a whole file, or with `stream: true` chunks sent as they are made",
            "content": audio_content(),
            "headers": AUDIO_HEADERS,
        },
        **error_responses(400, 401, 413, 422, 503),
    },
)
async def synthesize(body: TTSRequest, service: ServiceDep) -> Response:
    """Speak `text` or `ssml` in one of the formats."""
    received_at = time.perf_counter()
    text = body.content
    voice_id = resolve_voice(service.engine, body.voice, text, ssml=body.ssml is not None)
    options = SynthesisOptions(
        speed=body.speed,
        sample_rate=body.sample_rate,
        ssml=body.ssml is not None,
        expression=body.expression(),
    )
    plan = await service.prepare(text, voice_id, body.format, options)
    slot = await service.admission.acquire(voice_id)
    assert slot is not None
    headers = {"X-Voxflow-Voice": voice_id, "X-Voxflow-Sample-Rate": str(plan.sample_rate)}
    media_type = MEDIA_TYPES[body.format]
    if body.stream:
        stream = service.open_stream(plan, body.format)
        return AudioStreamResponse(
            audio_bytes(stream),
            media_type=media_type,
            headers=headers,
            on_disconnect=stream.cancel.set,
            on_close=lambda: service.close_stream(stream, slot, received_at),
        )
    # A whole file is encoded at the end, so its headers carry the exact length.
    stream = service.open_stream(plan, None)
    try:
        parts = [frame.chunk.samples async for frame in stream if frame.chunk is not None]
    finally:
        await service.close_stream(stream, slot, received_at)
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    data = await anyio.to_thread.run_sync(encode_all, samples, plan.sample_rate, body.format)
    return Response(data, media_type=media_type, headers=headers)


async def audio_bytes(stream: AudioStream) -> AsyncIterator[bytes]:
    async for frame in stream:
        if frame.data:
            yield frame.data
