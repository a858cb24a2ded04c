"""The WebSocket stream protocol: what a client sends on ``/v1/tts/stream`` and what the server
sends there and on the live feeds (``/v1/feeds/{channel}``): JSON text frames told apart by
``type``, and binary audio frames between ``start`` and ``done``/``error``.

One definition for both routes: the server's messages are built here (:func:`wire`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from tts_engine.engine import MAX_RATE, MAX_SPEED, MIN_RATE, MIN_SPEED

from .expressive import ExpressionFields

RequestId = Annotated[str, Field(min_length=1, max_length=128)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Synthesize(_Message, ExpressionFields):
    """Start a request. With ``incremental: true`` the text comes in ``append`` messages (``text``,
    if given, is the first piece) and the request ends at ``flush``; each sentence is then fitted
    to ``duration_ratio`` on its own, and ``duration_s`` (which needs the whole text) is refused."""

    type: Literal["synthesize"]
    request_id: RequestId | None = None
    text: str | None = None
    ssml: str | None = None
    voice: str | None = None
    format: Literal["pcm", "opus", "mp3"] = "pcm"
    speed: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED)
    sample_rate: int | None = Field(None, ge=MIN_RATE, le=MAX_RATE)
    incremental: bool = False

    @model_validator(mode="after")
    def _input(self) -> Synthesize:
        if self.incremental:
            if self.ssml is not None:
                raise ValueError("'ssml' cannot arrive in pieces; send it whole without 'incremental'")
            if self.duration_s is not None:
                raise ValueError("'duration_s' needs the whole text; with 'incremental' use 'duration_ratio'")
        elif (self.text is None) == (self.ssml is None):
            raise ValueError("give exactly one of 'text' or 'ssml' (or set 'incremental' and send 'append')")
        return self


class Append(_Message):
    type: Literal["append"]
    request_id: RequestId
    text: str


class Flush(_Message):
    type: Literal["flush"]
    request_id: RequestId


class Cancel(_Message):
    type: Literal["cancel"]
    request_id: RequestId


class Ping(_Message):
    type: Literal["ping"]
    id: str | int | None = None


ClientMessage = Annotated[Synthesize | Append | Flush | Cancel | Ping, Field(discriminator="type")]
client_message: TypeAdapter[Synthesize | Append | Flush | Cancel | Ping] = TypeAdapter(ClientMessage)


# -- what the server sends ------------------------------------------------------
class _ServerMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def wire(self) -> dict[str, Any]:
        """The JSON object sent (fields left unset are left out)."""
        return self.model_dump(exclude_none=True)


class Start(_ServerMessage):
    """Audio of ``request_id`` follows, at ``sample_rate`` in ``format``, spoken by ``voice``."""

    type: Literal["start"] = "start"
    request_id: str
    sample_rate: int
    format: str
    voice: str


class Progress(_ServerMessage):
    """Sentence ``sentence`` (``text``) begins ``offset_ms`` into the request's audio."""

    type: Literal["progress"] = "progress"
    request_id: str
    sentence: int
    text: str
    offset_ms: float


class Done(_ServerMessage):
    type: Literal["done"] = "done"
    request_id: str
    duration_ms: float
    cancelled: bool = False


class Error(_ServerMessage):
    """A request (or, without ``request_id``, the connection) failed; ``retry_after_s`` when busy."""

    type: Literal["error"] = "error"
    code: str
    message: str
    request_id: str | None = None
    retry_after_s: float | None = None


class Pong(_ServerMessage):
    type: Literal["pong"] = "pong"
    id: str | int | None = None


class Subscribed(_ServerMessage):
    """A feed listener is in: messages of ``channel`` follow."""

    type: Literal["subscribed"] = "subscribed"
    channel: str


ENDS = frozenset({"done", "error"})  # the message types that close a request's audio
