"""The replay window of a feed channel, in-process with a hand-driven clock: a late listener hears
the current narration from its start (or its last replay_s), then live; memory stays bounded; a
narration that just ended is still heard; a long replay neither gets a newcomer dropped nor slows
anyone else."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.feeds import FeedHub, Listener, Message

RATE = 16000
SECOND = b"\x01\x00" * RATE  # one second of s16le audio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def brief(message: Message) -> Any:
    """A message as the tests compare it: (type, sentence) for JSON, seconds of audio for bytes."""
    if isinstance(message, bytes):
        return len(message) / len(SECOND)
    return (message["type"], message.get("sentence", message["request_id"]))


async def taken(listener: Listener) -> list[Any]:
    """Everything queued for ``listener`` once the loop has run what other threads handed it."""
    await asyncio.sleep(0.01)
    out: list[Any] = []
    while listener.items:
        message = await listener.get()
        assert message is not None
        out.append(brief(message))
    return out


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def speak(hub: FeedHub, writer: Any, first: int, count: int, clock: Clock) -> None:
    """Sentences ``first`` .. ``first+count-1``, one second of audio each, in two frames, in real time."""
    for i in range(first, first + count):
        writer.sentence(i, f"Sentence {i}.", 1000.0 * i)
        writer.audio(SECOND[: len(SECOND) // 2])
        writer.audio(SECOND[len(SECOND) // 2 :])
        clock.now += 1.0


def test_a_late_listener_hears_the_narration_from_its_start_then_follows_live() -> None:
    clock = Clock()
    hub = FeedHub(replay_s=60, clock=clock)

    async def scenario() -> tuple[list[Any], list[Any]]:
        writer = hub.open("meeting", "j1", sample_rate=RATE, voice="v")
        speak(hub, writer, 0, 10, clock)  # ten seconds in when the listener opens the feed
        late = hub.subscribe("meeting", asyncio.get_running_loop())
        replayed = await taken(late)
        speak(hub, writer, 10, 2, clock)
        writer.end(12000.0)
        return replayed, await taken(late)

    replayed, live = run(scenario)
    assert replayed == [("start", "j1")] + [x for i in range(10) for x in (("progress", i), 0.5, 0.5)]
    assert live == [("progress", 10), 0.5, 0.5, ("progress", 11), 0.5, 0.5, ("done", "j1")]


def test_a_long_narration_replays_only_its_last_replay_s_from_a_sentence_start() -> None:
    clock = Clock()
    hub = FeedHub(replay_s=3, clock=clock)

    async def scenario() -> list[Any]:
        writer = hub.open("c", "j1", sample_rate=RATE, voice="v")
        speak(hub, writer, 0, 200, clock)
        assert 3000 <= hub.replayed_ms("c") <= 3000 + 1000  # bounded: the window and one sentence
        late = hub.subscribe("c", asyncio.get_running_loop())
        return await taken(late)

    replayed = run(scenario)
    assert replayed[0] == ("start", "j1")  # the joiner still learns the rate and the voice
    assert replayed[1:] == [x for i in (197, 198, 199) for x in (("progress", i), 0.5, 0.5)]


def test_a_narration_that_just_ended_is_heard_whole_until_replay_s_after_its_end() -> None:
    clock = Clock()
    hub = FeedHub(replay_s=60, clock=clock)

    async def scenario() -> tuple[list[Any], list[Any]]:
        loop = asyncio.get_running_loop()
        writer = hub.open("c", "j1", sample_rate=RATE, voice="v")
        speak(hub, writer, 0, 3, clock)
        writer.end(3000.0)
        clock.now += 10  # ten seconds late
        soon = await taken(hub.subscribe("c", loop))
        clock.now += 50  # a minute after it ended
        return soon, await taken(hub.subscribe("c", loop))

    soon, later = run(scenario)
    assert soon == [("start", "j1")] + [x for i in range(3) for x in (("progress", i), 0.5, 0.5)] + [
        ("done", "j1")
    ]
    assert later == []
    assert hub.replayed_ms("c") == 0


def test_the_window_spans_narrations() -> None:
    clock = Clock()
    hub = FeedHub(replay_s=4, clock=clock)

    async def scenario() -> list[Any]:
        a = hub.open("c", "a", sample_rate=RATE, voice="v")
        speak(hub, a, 0, 5, clock)
        a.end(5000.0)
        b = hub.open("c", "b", sample_rate=RATE, voice="v")
        speak(hub, b, 0, 2, clock)
        return await taken(hub.subscribe("c", asyncio.get_running_loop()))

    assert run(scenario) == [
        ("start", "a"), ("progress", 3), 0.5, 0.5, ("progress", 4), 0.5, 0.5, ("done", "a"),
        ("start", "b"), ("progress", 0), 0.5, 0.5, ("progress", 1), 0.5, 0.5,
    ]  # fmt: skip


def test_replay_s_0_starts_a_joiner_at_the_sentence_being_spoken() -> None:
    clock = Clock()
    hub = FeedHub(replay_s=0, clock=clock)

    async def scenario() -> tuple[list[Any], list[Any]]:
        loop = asyncio.get_running_loop()
        writer = hub.open("c", "j1", sample_rate=RATE, voice="v")
        speak(hub, writer, 0, 5, clock)
        during = await taken(hub.subscribe("c", loop))
        writer.end(5000.0)
        return during, await taken(hub.subscribe("c", loop))

    during, after = run(scenario)
    assert during == [("start", "j1"), ("progress", 4), 0.5, 0.5]
    assert after == []


def test_a_long_replay_neither_drops_the_newcomer_nor_slows_the_others() -> None:
    clock = Clock()
    hub = FeedHub(listener_queue=8, replay_s=60, clock=clock)

    async def scenario() -> tuple[list[Any], list[Any], str | None, str | None]:
        loop = asyncio.get_running_loop()
        writer = hub.open("c", "j1", sample_rate=RATE, voice="v")
        early = hub.subscribe("c", loop)
        early_heard = await taken(early)

        async def sentences(first: int, count: int) -> None:
            nonlocal early_heard
            for i in range(first, first + count):  # the early listener keeps up, sentence by sentence
                speak(hub, writer, i, 1, clock)
                early_heard += await taken(early)

        await sentences(0, 20)
        newcomer = hub.subscribe("c", loop)  # 61 replayed messages: far more than a listener's queue
        await sentences(20, 2)  # 6 live messages it has not read yet: within its queue
        newcomer_heard = await taken(newcomer)
        await sentences(22, 3)  # 9 live messages the newcomer does not read: it alone falls behind
        writer.end(25000.0)
        early_heard += await taken(early)
        return early_heard, newcomer_heard, newcomer.dropped, early.dropped

    early_heard, newcomer_heard, newcomer_dropped, early_dropped = run(scenario)
    everything = [("start", "j1")] + [x for i in range(25) for x in (("progress", i), 0.5, 0.5)]
    assert early_heard == [*everything, ("done", "j1")] and early_dropped is None
    assert newcomer_heard == everything[: 1 + 3 * 22]
    assert newcomer_dropped is not None and "too slow" in newcomer_dropped
