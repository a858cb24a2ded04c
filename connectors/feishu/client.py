"""The lark-oapi SDK with what it leaves out: retries, token refresh and one upload at a time.

The SDK never retries, caches the tenant token process-wide without refreshing it on 99991663,
raises ``JSONDecodeError`` on a proxy's HTML page, and consumes a multipart request when sending
it. Every call here therefore takes a *factory* that builds a fresh request per attempt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import lark_oapi as lark
import requests
from lark_oapi.core.exception import ObtainAccessTokenException, UnmarshalException
from lark_oapi.core.model import BaseResponse
from lark_oapi.core.token import TokenManager
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .config import FeishuConfig, RetryConfig

log = logging.getLogger(__name__)

RATE_LIMIT = 99991400
TOKEN_CODES = {99991661, 99991663, 99991664, 99991665}
# Codes Feishu documents as transient: try again later.
RETRYABLE: dict[int, str] = {
    RATE_LIMIT: "rate limited",
    1254290: "too many requests",
    1254291: "write conflict",
    1254607: "data not ready",
    1255040: "request timed out",
    1061045: "concurrent upload",
}
# Permanent codes, said the way a person fixing the table needs to read them.
REASONS: dict[int, str] = {
    1254040: "base (app_token) not found",
    1254041: "table not found",
    1254043: "record not found",
    1254045: "field name not found",
    1254302: "permission denied: share the base with the app",
    99991672: "permission denied: the app lacks a scope",
    10014: "app secret invalid",
    1254069: "attachment value rejected",
    1061043: "file too large for upload_all",
}
UPLOAD_INTERVAL_S = 0.2  # drive uploads allow 5 QPS per app


class FeishuError(Exception):
    """A failed Feishu call; ``retryable`` says whether trying again later can help."""

    def __init__(
        self,
        endpoint: str,
        code: int,
        msg: str,
        *,
        log_id: str | None = None,
        retryable: bool = False,
        wait_s: float | None = None,
    ) -> None:
        self.endpoint, self.code, self.msg, self.log_id = endpoint, code, msg, log_id
        self.retryable, self.wait_s = retryable, wait_s
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" (log id {self.log_id})" if self.log_id else ""
        return f"{self.endpoint}: {self.reason}{where}"

    @property
    def reason(self) -> str:
        """Short text for a record's error column."""
        known = REASONS.get(self.code) or RETRYABLE.get(self.code)
        if known:
            return f"{known} [{self.code}]"
        return f"{self.msg} [{self.code}]" if self.code else self.msg


def _code(endpoint: str, resp: BaseResponse) -> int:
    try:
        return int(resp.code or 0)
    except (TypeError, ValueError):
        raise FeishuError(endpoint, 0, f"malformed reply: code {resp.code!r}", retryable=True) from None


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():  # the SDK hands a case-sensitive dict
        if key.lower() == name:
            return value
    return None


class _UploadGate:
    """One upload at a time per app (Feishu answers 1061045 otherwise), at most 5 per second."""

    _gates: ClassVar[dict[str, _UploadGate]] = {}
    _gates_lock = threading.Lock()

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = 0.0

    @classmethod
    def for_app(cls, app_id: str) -> _UploadGate:
        with cls._gates_lock:
            return cls._gates.setdefault(app_id, cls())


class FeishuClient:
    """Calls Feishu through the SDK; transient failures are retried with backoff."""

    def __init__(self, cfg: FeishuConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cfg = cfg
        self.app_id = cfg.app_id
        self.retry: RetryConfig = cfg.retry
        self.sleep = sleep
        self.sdk: lark.Client = (
            lark.Client.builder()
            .app_id(cfg.app_id)
            .app_secret(cfg.app_secret.get_secret_value())
            .domain(cfg.domain.rstrip("/"))
            .timeout(cfg.timeout_s)
            .log_level(lark.LogLevel.WARNING)
            .build()
        )
        self._gate = _UploadGate.for_app(cfg.app_id)

    # -- calls -------------------------------------------------------------
    def call(
        self, endpoint: str, send: Callable[[lark.Client], BaseResponse], expect: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Run ``send`` (which builds and sends one request) until it succeeds; returns ``data``.

        A success whose ``data`` lacks a key of ``expect`` is a malformed reply (a proxy's, a
        truncated one), retried like a gateway error: read as an answer it would lose the work.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, FeishuError) and e.retryable),
            sleep=self.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(self._once, endpoint, send, expect)

    def _once(
        self, endpoint: str, send: Callable[[lark.Client], BaseResponse], expect: tuple[str, ...]
    ) -> dict[str, Any]:
        refreshed = False
        while True:
            resp = self._send(endpoint, send)
            if resp.success():
                body = json.loads(resp.raw.content) if resp.raw is not None and resp.raw.content else {}
                data = (body.get("data") if isinstance(body, dict) else None) or {}
                missing = [key for key in expect if data.get(key) is None]
                if missing:
                    raise FeishuError(endpoint, 0, f"malformed reply: no {missing[0]!r}", retryable=True)
                return data
            code = _code(endpoint, resp)
            if code in TOKEN_CODES and not refreshed:
                # The SDK keeps serving the cached token until its own expiry: drop it, fetch anew, once.
                self.forget_token()
                refreshed = True
                continue
            raise self._error(endpoint, resp)

    def _send(self, endpoint: str, send: Callable[[lark.Client], BaseResponse]) -> BaseResponse:
        try:
            return send(self.sdk)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise FeishuError(endpoint, 0, f"network: {type(exc).__name__}", retryable=True) from exc
        except json.JSONDecodeError as exc:
            raise FeishuError(endpoint, 0, "non-JSON reply (gateway error)", retryable=True) from exc
        except (UnmarshalException, AttributeError, TypeError) as exc:
            # JSON, but not the documented object ([], "x", a field of the wrong type): the SDK's
            # reader fails on it. Transient like a gateway page; the message keeps the SDK's words.
            raise FeishuError(endpoint, 0, f"malformed reply: {exc}", retryable=True) from exc
        except ObtainAccessTokenException as exc:
            code = int(exc.code or 0)
            retryable = code in RETRYABLE or (code >= 500 and code < 600)
            raise FeishuError("token", code, str(exc.msg), retryable=retryable) from exc

    def _error(self, endpoint: str, resp: BaseResponse) -> FeishuError:
        code = _code(endpoint, resp)
        status = resp.raw.status_code if resp.raw is not None else None
        headers = resp.raw.headers if resp.raw is not None else None
        wait = None
        if code == RATE_LIMIT:
            reset = _header(headers, "x-ogw-ratelimit-reset")
            wait = float(reset) if reset and reset.replace(".", "", 1).isdigit() else None
        retryable = code in RETRYABLE or (status is not None and status >= 500)
        if resp.code is None:  # a reply without Feishu's code (`null`, `{}`): not an answer from Feishu
            return FeishuError(
                endpoint, 0, "malformed reply: no code", log_id=resp.get_log_id(), retryable=True
            )
        return FeishuError(
            endpoint, code, resp.msg or "", log_id=resp.get_log_id(), retryable=retryable, wait_s=wait
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, FeishuError) and exc.wait_s is not None:
            # Feishu says when the window resets; a little jitter keeps workers from waking together.
            return min(self.retry.max_wait_s, exc.wait_s + random.uniform(0.0, 0.5))
        backoff = self.retry.initial_wait_s * 2 ** (state.attempt_number - 1)
        return min(self.retry.max_wait_s, backoff) * random.uniform(0.5, 1.0)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("feishu: %s; retry %d in %.1f s", exc, state.attempt_number, wait)

    def forget_token(self) -> None:
        """Drop the SDK's cached tenant token so the next call fetches a new one."""
        TokenManager.cache.set(f"self_tenant_token:{self.app_id}", "", 0)

    # -- uploads -----------------------------------------------------------
    @contextlib.contextmanager
    def upload_slot(self) -> Iterator[None]:
        """Hold while uploading one file: no two uploads of this app overlap, in this process."""
        with self._gate.lock:
            pause = self._gate.last + UPLOAD_INTERVAL_S - time.monotonic()
            if pause > 0:
                self.sleep(pause)
            try:
                yield
            finally:
                self._gate.last = time.monotonic()

    def check_credentials(self) -> None:
        """Fetch a fresh tenant token; raises FeishuError when the app id or secret is wrong."""
        self.forget_token()
        try:
            TokenManager.get_self_tenant_token(self.sdk.config)
        except ObtainAccessTokenException as exc:
            raise FeishuError("token", int(exc.code or 0), str(exc.msg)) from exc
        except (requests.RequestException, json.JSONDecodeError) as exc:
            raise FeishuError("token", 0, f"cannot reach {self.cfg.domain}: {exc}", retryable=True) from exc
