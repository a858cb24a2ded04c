"""Faults the fake Feishu can answer with, and the script that says which call gets which."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fault:
    """What a scripted call answers instead of its normal reply.

    ``kind``: ``error`` (a JSON error code), ``rate_limit`` (99991400 with reset headers),
    ``gateway`` (a proxy's HTML page), ``token_expired`` (99991663 and every token revoked),
    ``slow`` (done, answered ``delay_s`` late), ``late`` (done ``delay_s`` after it arrived, as a
    busy server does), ``lost`` (done, answer replaced by a 502 page),
    ``malformed`` (not done, ``body`` answered as JSON with ``status``) or ``reset`` (not done,
    the connection closed without an answer).
    """

    kind: str
    code: int = 0
    msg: str = ""
    status: int = 400
    reset_s: int = 1
    delay_s: float = 0.0
    body: bytes = b""


def rate_limited(reset_s: int = 1) -> Fault:
    return Fault("rate_limit", 99991400, "request trigger frequency limit", 429, reset_s=reset_s)


def error(code: int, msg: str = "", status: int = 400) -> Fault:
    return Fault("error", code, msg or f"error {code}", status)


def write_conflict() -> Fault:
    return error(1254291, "Write conflict")


def too_many_requests() -> Fault:
    return error(1254290, "TooManyRequest")


def permission_denied() -> Fault:
    return error(1254302, "Permission denied", 403)


def gateway_error(status: int = 502) -> Fault:
    """An HTML page from a proxy, not JSON; nothing was done."""
    return Fault("gateway", status=status)


def slow(delay_s: float) -> Fault:
    """Does the work, then answers ``delay_s`` late: past the client's timeout, it still happened."""
    return Fault("slow", delay_s=delay_s)


def late(delay_s: float) -> Fault:
    """Waits ``delay_s`` before doing the work: the write lands late, after calls made meanwhile."""
    return Fault("late", delay_s=delay_s)


def lost_reply(status: int = 502) -> Fault:
    """Does the work, then a proxy loses the answer: the client sees an error for a done call."""
    return Fault("lost", status=status)


def malformed(body: bytes, status: int = 200) -> Fault:
    """Answers ``body`` as ``application/json`` (truncated JSON, ``[]``, a reply without its data);
    nothing was done."""
    return Fault("malformed", status=status, body=body)


def reset() -> Fault:
    """Closes the connection without answering; nothing was done."""
    return Fault("reset")


def token_expired() -> Fault:
    """Revokes every issued token, then answers 99991663 as Feishu does for an expired one."""
    return Fault("token_expired", 99991663, "Invalid access token for authorization.")


Match = Callable[[bytes], bool]


def sets(column: str, value: object) -> Match:
    """Matches a record write (update or batch_update) that sets ``column`` to ``value``."""

    def match(body: bytes) -> bool:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        records = data.get("records")
        records = records if isinstance(records, list) else []
        writes = [r.get("fields") for r in records if isinstance(r, dict)] + [data.get("fields")]
        return any(isinstance(f, dict) and f.get(column) == value for f in writes)

    return match


@dataclass
class _Rule:
    """Calls to ``endpoint`` whose body ``match`` es get ``faults`` in turn, then ``then`` (if any)."""

    endpoint: str
    match: Match
    faults: list[Fault] = field(default_factory=list)
    then: Fault | None = None


class FaultScript:
    """Per endpoint, which call numbers (1-based, counting every call) get which fault; and rules
    that pick calls by what they send (the write of one value, to one record)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}
        self._at: dict[str, dict[int, Fault]] = {}
        self._always: dict[str, Fault] = {}
        self._rules: list[_Rule] = []

    def inject(self, endpoint: str, fault: Fault, nth: int | Iterable[int] | None = None) -> None:
        """Fault the ``nth`` call(s) to ``endpoint``; the next call when ``nth`` is None."""
        with self._lock:
            if nth is None:
                nth = self._calls.get(endpoint, 0) + 1
            for n in [nth] if isinstance(nth, int) else nth:
                self._at.setdefault(endpoint, {})[n] = fault

    def always(self, endpoint: str, fault: Fault | None) -> None:
        """Fault every call from now on (None stops it)."""
        with self._lock:
            if fault is None:
                self._always.pop(endpoint, None)
            else:
                self._always[endpoint] = fault

    def when(self, endpoint: str, match: Match, *faults: Fault, then: Fault | None = None) -> None:
        """Each call to ``endpoint`` whose body satisfies ``match`` gets the next of ``faults``;
        once they are used up, every further matching call gets ``then`` (None: no fault)."""
        with self._lock:
            self._rules.append(_Rule(endpoint, match, list(faults), then))

    def next_for(self, endpoint: str, body: bytes = b"") -> Fault | None:
        with self._lock:
            n = self._calls[endpoint] = self._calls.get(endpoint, 0) + 1
            fault = self._at.get(endpoint, {}).pop(n, None)
            for rule in self._rules:
                if fault is None and rule.endpoint == endpoint and rule.match(body):
                    fault = rule.faults.pop(0) if rule.faults else rule.then
            return fault or self._always.get(endpoint)

    def calls(self, endpoint: str) -> int:
        with self._lock:
            return self._calls.get(endpoint, 0)
