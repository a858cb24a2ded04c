"""A channel's replay window: what a listener who joins late hears before it follows live.

It keeps the last ``window_s`` seconds of the channel's audio, with the messages that frame it:
the current narration from its start, or from the first sentence inside the window when it has
gone on longer (whole sentences only, so a joiner starts at a sentence start, with its
``progress``), and a narration that ended less than ``window_s`` ago, with its ``done``. Memory is
bounded by the window: at most ``window_s`` of audio plus the sentence that straddles its edge.
``window_s`` 0 keeps only the sentence being spoken.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.feeds.writer import Message, ends


@dataclass
class _Sentence:
    progress: Message | None  # None for audio that came before any progress
    frames: list[bytes] = field(default_factory=list)
    ms: float = 0.0


@dataclass
class _Narration:
    start: dict[str, Any]
    sentences: deque[_Sentence] = field(default_factory=deque)
    end: Message | None = None
    ended_at: float | None = None

    @property
    def bytes_per_ms(self) -> float:
        return 2 * int(self.start.get("sample_rate") or 16000) / 1000.0  # s16le mono


class Replay:
    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self._told: deque[_Narration] = deque()
        self._ms = 0.0  # audio kept, across narrations

    @property
    def audio_ms(self) -> float:
        return self._ms

    def empty(self) -> bool:
        return not self._told

    def record(self, message: Message) -> None:
        """Keep a message the channel just delivered live."""
        current = self._told[-1] if self._told and self._told[-1].ended_at is None else None
        if isinstance(message, bytes):
            if current is None:
                return  # audio outside a narration: nothing to frame it
            if not current.sentences:
                current.sentences.append(_Sentence(None))
            sentence = current.sentences[-1]
            ms = len(message) / current.bytes_per_ms
            sentence.frames.append(message)
            sentence.ms += ms
            self._ms += ms
        elif message.get("type") == "start":
            if current is not None:  # a start with no end before it: the old narration is over
                current.ended_at = self.clock()
            self._told.append(_Narration(message))
        elif current is None:
            return
        elif message.get("type") == "progress":
            current.sentences.append(_Sentence(message))
        elif ends(message):
            current.end, current.ended_at = message, self.clock()
        self.expire()

    def expire(self) -> None:
        """Let go of what fell out of the window."""
        now, window_ms = self.clock(), 1000.0 * self.window_s
        while self._told:
            first = self._told[0]
            if first.ended_at is not None and now - first.ended_at >= self.window_s:
                self._drop(first)
                continue
            # The sentence being spoken stays: a joiner must get the start of what it hears.
            only_live = len(self._told) == 1 and first.ended_at is None and len(first.sentences) <= 1
            if first.sentences and not only_live and self._ms - first.sentences[0].ms >= window_ms:
                self._ms -= first.sentences.popleft().ms
                continue
            if not first.sentences and first.ended_at is not None:
                self._told.popleft()  # every sentence of it fell out of the window
                continue
            break

    def _drop(self, narration: _Narration) -> None:
        self._told.popleft()
        self._ms -= sum(s.ms for s in narration.sentences)

    def messages(self) -> list[Message]:
        """What a joiner hears first, in order: each narration's start, its sentences kept, its end."""
        self.expire()
        out: list[Message] = []
        for narration in self._told:
            out.append(narration.start)
            for sentence in narration.sentences:
                if sentence.progress is not None:
                    out.append(sentence.progress)
                out.extend(sentence.frames)
            if narration.end is not None:
                out.append(narration.end)
        return out
