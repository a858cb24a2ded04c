"""What a player fed by a benchmark client would hear: has the audio kept up with the clock?"""

from __future__ import annotations

UNDERRUN_S = 0.2  # audio behind the wall clock by more than this: a player would have gone silent
GRACE_S = 1.0  # a player buffers this much before it starts


class Playback:
    """Received audio against the wall clock since its first byte."""

    def __init__(self, bytes_per_s: float) -> None:
        self.bytes_per_s = bytes_per_s
        self.received = 0
        self.first: float | None = None
        self.underrun = False

    def arrive(self, n: int, now: float) -> None:
        if self.first is None:
            self.first = now
        elapsed = now - self.first
        if elapsed > GRACE_S and elapsed - self.received / self.bytes_per_s > UNDERRUN_S:
            self.underrun = True
        self.received += n
