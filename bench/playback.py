"""What the web page would hear from a benchmark client's stream: did playback ever run dry?"""

from __future__ import annotations

PLAYOUT_LEAD_S = 0.2  # the page starts playing this long after the first chunk (app.js PLAYOUT_LEAD_S)


class Playback:
    """Received audio against a player that starts ``PLAYOUT_LEAD_S`` after the first byte and then
    plays without pause: an underrun is a byte arriving after everything before it has played."""

    def __init__(self, bytes_per_s: float) -> None:
        self.bytes_per_s = bytes_per_s
        self.received = 0
        self.first: float | None = None
        self.underrun = False
        self.worst_s = 0.0  # the longest silence a listener would have heard, in seconds

    def arrive(self, n: int, now: float) -> None:
        if self.first is None:
            self.first = now
        late = (now - self.first - PLAYOUT_LEAD_S) - self.received / self.bytes_per_s
        if late > 0:
            self.underrun = True
            self.worst_s = max(self.worst_s, late)
        self.received += n
