"""When a failed attempt runs again: exponential back-off with jitter, counted in the job row.

The attempt count lives in the database, not in the queue message (Huey's own ``retries``
travel inside the message and die with a killed worker or a lost message), so a crash can
neither reset the count nor loop forever, and the dead-letter state and its reason are
visible to the API and the CLI. Huey's ``retry_backoff`` multiplies the delay but adds no
jitter, so jobs that failed together (a sink outage) would all come back together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        "Equal jitter": half the exponential step is fixed, half random, so retries of jobs that
        failed together (a sink outage) spread out but never come back immediately.
        """
        step = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return step / 2 + (rng or random).uniform(0, step / 2)
