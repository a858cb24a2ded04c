"""What the feed tests share: a listener that records what it heard."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


@dataclass
class Heard:
    """What one listener received: JSON messages and, per progress message, the audio after it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    audio_at: dict[int, int] = field(default_factory=dict)  # sentence -> byte offset where it starts
    closed: ConnectionClosed | None = None

    def take(self, ws: ClientConnection) -> None:
        try:
            while True:
                message = ws.recv()
                if isinstance(message, bytes):
                    self.audio += message
                    continue
                msg = json.loads(message)
                self.messages.append(msg)
                if msg["type"] == "progress":
                    self.audio_at[msg["sentence"]] = len(self.audio)
                if msg["type"] in ("done", "error"):
                    return
        except ConnectionClosed as exc:
            self.closed = exc

    def types(self) -> list[str]:
        return [m["type"] for m in self.messages]

    def sentences(self) -> list[int]:
        return [m["sentence"] for m in self.messages if m["type"] == "progress"]


def listen(url: str, heard: Heard) -> threading.Thread:
    ws = connect(url, max_size=None)
    thread = threading.Thread(target=lambda: (heard.take(ws), ws.close()), daemon=True)
    thread.start()
    return thread
