"""An in-memory twin of the Feishu Open API on loopback, for tests and ``voxflow feishu fake``.

``fake_feishu`` (FakeFeishu: lifecycle, dispatch, faults, the demo table), ``endpoints`` (one method per
Open API endpoint), ``records`` (apps, tables, records, events), ``tables`` (field types, conversion,
paging, uploads), ``faults`` (scripted failures), ``wire`` (requests, the HTTP handler, encryption).
Nothing outside tests and ``voxflow feishu fake`` imports it.
"""

from .fake_feishu import DEMO_APP, FakeFeishu, seed_demo
from .faults import (
    Fault,
    FaultScript,
    error,
    gateway_error,
    late,
    lost_reply,
    malformed,
    permission_denied,
    rate_limited,
    reset,
    sets,
    slow,
    token_expired,
    too_many_requests,
    write_conflict,
)
from .tables import ATTACHMENT, CHECKBOX, DATE, MULTI_SELECT, NUMBER, SINGLE_SELECT, TEXT, URL, Media
from .wire import encrypt_event

__all__ = [
    "ATTACHMENT", "CHECKBOX", "DATE", "DEMO_APP", "MULTI_SELECT", "NUMBER", "SINGLE_SELECT", "TEXT", "URL",
    "FakeFeishu", "Fault", "FaultScript", "Media", "encrypt_event", "error", "gateway_error", "late",
    "lost_reply", "malformed", "permission_denied", "rate_limited", "reset", "seed_demo", "sets", "slow",
    "token_expired", "too_many_requests", "write_conflict",
]
