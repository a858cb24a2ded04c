"""``WS /v1/feeds/{channel}``: a listener subscribes, hears the replay window, then the channel live."""

from __future__ import annotations

import asyncio
import json
import logging
import re

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

from connectors.feeds.hub import FeedHub
from connectors.feeds.listener import Listener
from integrator.stream_protocol import Error, Subscribed

log = logging.getLogger(__name__)

ROUTE = "/v1/feeds/{channel}"
CHANNEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
CLOSE_TOO_SLOW = 1013  # "try again later": the listener fell behind and was dropped
CLOSE_WAIT_S = 30.0  # a dropped reader gets its close frame once it takes what was sent before

router = APIRouter()


@router.websocket(ROUTE)
async def feed(websocket: WebSocket, channel: str) -> None:
    await websocket.accept()
    if not CHANNEL.match(channel):
        message = "a channel name is 1-64 letters, digits, '_', '.' or '-'"
        await websocket.send_json(Error(code="invalid_channel", message=message).wire())
        await websocket.close(1008, "invalid_channel")
        return
    hub: FeedHub = websocket.app.state.feeds
    listener = hub.subscribe(channel, asyncio.get_running_loop())
    try:
        await _serve(websocket, channel, listener)
    finally:
        hub.unsubscribe(channel, listener)


async def _serve(websocket: WebSocket, channel: str, listener: Listener) -> None:
    async def pump() -> None:
        await websocket.send_json(Subscribed(channel=channel).wire())
        while (message := await listener.get()) is not None:
            if isinstance(message, bytes):
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(json.dumps(message, ensure_ascii=False))

    async def drain() -> None:
        # Listeners only listen; reading notices the disconnect (pings are answered below us).
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    sender, reader = asyncio.create_task(pump()), asyncio.create_task(drain())
    dropped = asyncio.create_task(listener.gone.wait())
    try:
        await asyncio.wait({sender, reader, dropped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, reader, dropped):
            task.cancel()
        await asyncio.gather(sender, reader, dropped, return_exceptions=True)
    if listener.dropped is not None and reader.cancelled():
        log.info("feed %s: dropped a listener: %s", channel, listener.dropped)
        # The close frame queues behind what the slow reader has not taken yet; don't wait forever.
        try:
            await asyncio.wait_for(websocket.close(CLOSE_TOO_SLOW, listener.dropped[:120]), CLOSE_WAIT_S)
        except (TimeoutError, RuntimeError, WebSocketDisconnect, OSError):
            pass


def install(app: FastAPI, hub: FeedHub) -> FeedHub:
    """Add ``WS /v1/feeds/{channel}`` with this process's hub as ``app.state.feeds``."""
    app.state.feeds = hub
    app.include_router(router)
    return hub
