"""A chunked HTTP response for audio that stops synthesis as soon as the client goes away.

Starlette's StreamingResponse notices a disconnect only at its next write, which for a slow
voice can be a whole sentence later; this one listens for ``http.disconnect`` while it waits
and always runs ``on_close`` (slot release, metrics), even when the client left before the
first byte.

When the body fails (synthesis broke half-way) it raises :class:`StreamAborted`, so the server
closes the connection without the terminating chunk: clients see an incomplete read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import StreamAborted


class AudioStreamResponse(Response):
    def __init__(
        self,
        body: AsyncIterator[bytes],
        *,
        media_type: str,
        headers: Mapping[str, str] | None = None,
        on_disconnect: Callable[[], None],
        on_close: Callable[[], Awaitable[None]],
    ) -> None:
        self.body_iterator = body
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)
        self.on_disconnect = on_disconnect
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            self.on_disconnect()

        failure: Exception | None = None
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(watch)
                try:
                    await send(
                        {
                            "type": "http.response.start",
                            "status": self.status_code,
                            "headers": self.raw_headers,
                        }
                    )
                    async for data in self.body_iterator:
                        await send({"type": "http.response.body", "body": data, "more_body": True})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                except OSError:  # the client went away mid-write
                    self.on_disconnect()
                except Exception as exc:
                    failure = exc  # raised below, outside the task group, so it is not wrapped
                finally:
                    group.cancel_scope.cancel()
            if failure is not None:
                raise StreamAborted(f"the response stream failed: {failure}") from failure
        finally:
            with anyio.CancelScope(shield=True):
                await self.on_close()
