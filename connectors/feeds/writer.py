"""Feed messages: the runner's calls for one job, as ``/v1/tts/stream`` protocol messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrator.jobs.abc import FeedWriter
from integrator.stream_protocol import ENDS, Done, Error, Progress, Start

Message = dict[str, Any] | bytes


def ends(message: Message) -> bool:
    """Whether ``message`` closes a job's narration (``done`` or ``error``)."""
    return isinstance(message, dict) and message.get("type") in ENDS


class Writer(FeedWriter):
    """Turns the runner's calls into stream-protocol messages for one job, handed to ``send``."""

    def __init__(self, send: Callable[[Message], None], job_id: str) -> None:
        self._send = send
        self.job_id = job_id

    def begin(self, sample_rate: int, voice: str) -> None:
        self._send(Start(request_id=self.job_id, sample_rate=sample_rate, format="pcm", voice=voice).wire())

    def sentence(self, index: int, text: str, offset_ms: float) -> None:
        progress = Progress(request_id=self.job_id, sentence=index, text=text, offset_ms=round(offset_ms, 1))
        self._send(progress.wire())

    def audio(self, pcm: bytes) -> None:
        if pcm:
            self._send(pcm)

    def end(
        self, duration_ms: float, *, cancelled: bool = False, error: tuple[str, str] | None = None
    ) -> None:
        if error is not None:
            self._send(Error(request_id=self.job_id, code=error[0], message=error[1]).wire())
        else:
            done = Done(request_id=self.job_id, duration_ms=round(duration_ms, 1), cancelled=cancelled)
            self._send(done.wire())
