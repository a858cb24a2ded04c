"""HMAC-SHA256 signatures: inbound webhooks, outbound callbacks, and time-limited audio links.

Requests carry ``X-Voxflow-Timestamp`` (Unix seconds) and ``X-Voxflow-Signature: sha256=<hex>``,
the HMAC of ``"<timestamp>." + body``. The timestamp is inside the signed bytes, so a captured
request stops working once it leaves the tolerance window; within the window the replay guard
(webhook/replay.py) remembers signatures already used. Links sign ``GET <path>`` and an expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

TIMESTAMP_HEADER = "X-Voxflow-Timestamp"
SIGNATURE_HEADER = "X-Voxflow-Signature"
SCHEME = "sha256="


class SignatureError(Exception):
    """Why a signed request is refused; ``code`` is the API error code (all answer 401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>`` over ``"<timestamp>." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers that sign ``body`` now."""
    ts = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature(secret, ts, body)}


def verify(
    secrets_: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: float,
    now: float | None = None,
) -> str:
    """Check a signed request against any of ``secrets_`` (several while one is rotated).

    ``headers`` must look names up case-insensitively (Starlette's and httpx's do). Returns the
    signature's hex digest, which the replay guard remembers; raises :class:`SignatureError`.
    """
    stamp = headers.get(TIMESTAMP_HEADER)
    given = headers.get(SIGNATURE_HEADER)
    if not stamp or not given:
        raise SignatureError(
            "missing_signature", f"sign the request: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers"
        )
    try:
        ts = int(stamp)
        # Inside the try: a timestamp of hundreds of digits is too large for a float (OverflowError).
        skew = (time.time() if now is None else now) - ts
    except (ValueError, OverflowError):
        raise SignatureError("invalid_signature", f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    # Checked before the MAC, but answered the same way to anyone: a wrong clock, not a wrong key.
    if abs(skew) > tolerance_s:
        raise SignatureError(
            "stale_timestamp",
            f"{TIMESTAMP_HEADER} is {abs(skew):.0f} s {'old' if skew > 0 else 'ahead'}; "
            f"requests are accepted within {tolerance_s:.0f} s",
        )
    given = given.strip()
    if not given.startswith(SCHEME):
        raise SignatureError("invalid_signature", f"{SIGNATURE_HEADER} must be {SCHEME}<hex>")
    # Compare against every secret so the time taken says nothing about which one matched.
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500).
    matches = [hmac.compare_digest(signature(s, stamp, body).encode(), given.encode()) for s in secrets_]
    if not any(matches):
        raise SignatureError("invalid_signature", "the signature does not match the body and timestamp")
    return given.removeprefix(SCHEME)


class LinkSigner:
    """Time-limited links: ``<path>?expires=<unix s>&sig=<hex>`` opens ``path`` without an API key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("a link secret needs at least 16 bytes")
        self._secret = secret

    @classmethod
    def from_config(cls, configured: str, key_file: Path) -> LinkSigner:
        """The configured secret, else a random one kept in ``key_file`` (made once, mode 0600)."""
        if configured:
            return cls(configured.encode())
        try:
            return cls(key_file.read_bytes().strip())
        except FileNotFoundError:
            pass
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        try:
            # O_EXCL: of two processes making the key at once, one wins and the other reads it.
            with open(key_file, "xb", opener=_open_private) as out:
                out.write(key)
            return cls(key)
        except FileExistsError:
            return cls(key_file.read_bytes().strip())

    def _mac(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"GET {path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, ttl_s: float, now: float | None = None) -> tuple[str, int]:
        """``path`` with its signed query, and the expiry (Unix seconds)."""
        expires = int((time.time() if now is None else now) + ttl_s)
        return f"{path}?{urlencode({'expires': expires, 'sig': self._mac(path, expires)})}", expires

    def check(self, path: str, query: str, now: float | None = None) -> bool | None:
        """None when ``query`` carries no link signature; else whether it is valid and unexpired."""
        params = dict(parse_qsl(query))
        if "sig" not in params:
            return None
        try:
            expires = int(params.get("expires", ""))
        except ValueError:
            return False
        if expires < (time.time() if now is None else now):
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500).
        return hmac.compare_digest(self._mac(path, expires).encode(), params["sig"].encode())


def _open_private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)
