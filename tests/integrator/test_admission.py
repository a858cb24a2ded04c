"""Per-voice admission: slots, waiting places, refusals and aborted waits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from integrator.app.admission import Admission, Busy
from integrator.config import ServerConfig, VoiceLimits


def config(**server: Any) -> ServerConfig:
    return ServerConfig.model_validate(server)


def test_slots_then_waiting_places_then_busy() -> None:
    async def scenario() -> None:
        changes: list[tuple[str, int, int]] = []
        admission = Admission(config(concurrency=1, queue=1, retry_after_s=5), lambda *c: changes.append(c))
        first = await admission.acquire("v")
        assert first is not None
        waiter = asyncio.create_task(admission.acquire("v"))
        await asyncio.sleep(0)
        assert admission.counts("v") == (1, 1)
        with pytest.raises(Busy) as busy:
            await admission.acquire("v")
        assert busy.value.retry_after_s == 5
        assert await admission.acquire("other") is not None  # voices do not share slots
        first.release()
        first.release()  # a second release is a no-op
        second = await waiter
        assert second is not None
        assert admission.counts("v") == (1, 0)
        second.release()
        assert admission.counts("v") == (0, 0)
        assert changes[-1] == ("v", 0, 0)
        assert ("v", 1, 1) in changes

    asyncio.run(scenario())


def test_an_aborted_wait_gives_up_its_place() -> None:
    async def scenario() -> None:
        admission = Admission(config(concurrency=1, queue=1))
        held = await admission.acquire("v")
        abort = asyncio.Event()
        waiter = asyncio.create_task(admission.acquire("v", abort=abort))
        await asyncio.sleep(0)
        abort.set()
        assert await waiter is None
        assert admission.counts("v") == (1, 0)
        assert held is not None
        held.release()
        again = await admission.acquire("v")  # the slot was not lost to the aborted waiter
        assert again is not None and admission.counts("v") == (1, 0)

    asyncio.run(scenario())


def test_per_voice_limits_override_the_defaults() -> None:
    async def scenario() -> None:
        limits = config(concurrency=1, queue=0, voice_limits={"big": VoiceLimits(concurrency=3, queue=0)})
        admission = Admission(limits)
        slots = [await admission.acquire("big") for _ in range(3)]
        assert all(slots)
        with pytest.raises(Busy):
            await admission.acquire("big")
        assert await admission.acquire("small") is not None
        with pytest.raises(Busy):
            await admission.acquire("small")

    asyncio.run(scenario())


def test_a_backend_limit_is_one_gate_for_all_its_voices_unless_a_voice_has_its_own() -> None:
    backends = {"zh-kokoro-kumo": "kokoro", "en-kokoro-alpha": "kokoro", "zh-kokoro-nezumi": "kokoro"}

    async def scenario() -> None:
        changes: list[tuple[str, int, int]] = []
        limits = config(
            concurrency=4,
            queue=0,
            voice_limits={
                "kokoro": VoiceLimits(concurrency=2, queue=0),
                "zh-kokoro-nezumi": VoiceLimits(concurrency=1, queue=0),
            },
        )
        admission = Admission(limits, lambda *c: changes.append(c), backends.get)
        assert await admission.acquire("zh-kokoro-kumo") is not None
        assert await admission.acquire("en-kokoro-alpha") is not None  # the model's second stream
        with pytest.raises(Busy, match="en-kokoro-alpha"):
            await admission.acquire("en-kokoro-alpha")
        with pytest.raises(Busy):
            await admission.acquire("zh-kokoro-kumo")
        assert admission.counts("zh-kokoro-kumo") == admission.counts("en-kokoro-alpha") == (2, 0)
        assert changes[-1] == ("kokoro", 2, 0)  # gauges name the shared gate
        assert await admission.acquire("zh-kokoro-nezumi") is not None  # its own entry, its own gate
        assert await admission.acquire("en-piper-joe") is not None  # no entry: the defaults

    asyncio.run(scenario())


def test_the_shipped_defaults_share_one_gate_per_shared_model() -> None:
    from integrator.config import load_settings

    server = load_settings(None).server
    kumo, alpha = server.gate("zh-kokoro-kumo", "kokoro"), server.gate("en-kokoro-alpha", "kokoro")
    assert kumo[0] == alpha[0] == "kokoro"
    assert server.gate("espeak-zh", "espeak")[0] == "espeak"
    assert server.gate("en-piper-joe", "piper") == ("en-piper-joe", server.voice_limits["en-piper-joe"])
