"""SIGINT and SIGTERM as a request to stop a batch at the next piece, not an exception anywhere.

Left to Python, SIGINT raises ``KeyboardInterrupt`` wherever the main thread happens to be (in a
PyAV write, between a temp file and its rename) while the synthesis thread runs on inside the
model, and a process started in the background of a script inherits SIGINT ignored; SIGTERM
kills at once. Here both set an event the batch checks between pieces; a second signal ends the
process at once.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop:
    """Set by the first signal; ``exit_code`` is the shell's 128 + signal number (130, 143)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


@contextmanager
def stop_on_signals(notice: str = "stopping; finished chapters are kept…") -> Iterator[Stop]:
    """Within the block, SIGINT and SIGTERM set ``Stop.event`` (even when SIGINT was inherited ignored)."""
    stop = Stop()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.event.is_set():
            os._exit(128 + signum)  # asked twice: no more waiting
        stop.signum = signum
        stop.event.set()
        os.write(2, f"\n{notice} (again to quit at once)\n".encode())

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
