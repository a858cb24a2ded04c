"""Result callbacks: the ``callback`` job sink POSTs a signed JSON body about the finished job.

The body carries the job id, status, duration and either a time-limited signed link to
``GET /v1/jobs/{id}/audio`` or the audio itself in base64. It is signed like inbound hooks
(connectors/signing.py) with the hook's secret, or ``callbacks.secret`` for jobs from the API.

A callback URL may come from a webhook's payload, so it must not become a way to make this
server call its own network. :class:`HostPolicy` checks the host against the allow-list, resolves
it, refuses every private, loopback, link-local or otherwise non-public address that
``callbacks.allow_networks`` does not name, and the request then goes to that checked address
(the name only travels in ``Host`` and TLS SNI), so a second DNS answer cannot redirect it.
Redirects are not followed.

Transient failures (connection errors, timeouts, 408, 429, 5xx) are retried with exponential
backoff (tenacity); after ``callbacks.attempts`` tries, or at once for any other status, the
sink raises ``DeliveryRejected``: the delivery is recorded failed with the reason. A job that
fails for another reason (bad input, dead after its attempts) is called back as ``job.failed``.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from integrator.jobs.abc import DeliveryRejected, Receipt, Sink
from integrator.jobs.artifacts import audio_duration_ms, file_sha256
from integrator.jobs.job import Artifact, Job

from . import signing
from .config import CallbacksConfig, callbacks_of, hooks_of

if TYPE_CHECKING:
    from integrator.config import Settings

log = logging.getLogger(__name__)

USER_AGENT = "Voxflow-Callback/0.1"
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class CallbackRefused(DeliveryRejected):
    """The URL is not one this server may call: bad form, host not allowed, or a non-public address."""

    code = "callback_refused"


class CallbackFailed(DeliveryRejected):
    """The receiver did not take the callback: a refusing status, or every attempt failed."""

    code = "callback_failed"


class _Transient(Exception):
    pass


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CallbackRefused(f"callback host {host!r} does not resolve: {exc.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def redacted(url: str) -> str:
    """The URL without its query and credentials, for messages and receipts."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(frozen=True)
class CallbackAddress:
    """A checked callback: connect to ``address``, name ``host`` in Host and SNI."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    def pinned_url(self) -> str:
        """The URL with the checked address in place of the name."""
        parts = urlsplit(self.url)
        address = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{address}:{self.port}"
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.scheme}://{netloc}{parts.path or '/'}{query}"

    @property
    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


class HostPolicy:
    """Which callback URLs may be called: allowed host names, then public (or allowed) addresses."""

    def __init__(self, allow_hosts: Iterable[str], allow_networks: Iterable[str]) -> None:
        self.allow_hosts = [h.strip().lower().rstrip(".") for h in allow_hosts if h.strip()]
        self.allow_networks = [ipaddress.ip_network(n, strict=False) for n in allow_networks]

    def with_hosts(self, extra: Iterable[str]) -> HostPolicy:
        policy = HostPolicy([], [])
        policy.allow_hosts = [*self.allow_hosts, *(h.strip().lower().rstrip(".") for h in extra if h.strip())]
        policy.allow_networks = self.allow_networks
        return policy

    def check_name(self, url: str) -> tuple[str, str, int]:
        """Scheme, host and port of an allowed URL, without any DNS lookup; CallbackRefused otherwise."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise CallbackRefused(f"callback URL is malformed: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise CallbackRefused("callback URL must be http:// or https:// with a host")
        if parts.username or parts.password:
            raise CallbackRefused("callback URL must not carry credentials")
        host = parts.hostname.lower().rstrip(".")
        if not any(_host_matches(host, pattern) for pattern in self.allow_hosts):
            raise CallbackRefused(
                f"callback host {host!r} is not in the allow-list (callbacks.allow_hosts or the hook's)"
            )
        return scheme, host, port or (443 if scheme == "https" else 80)

    def check_address(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allow_networks):
            return True
        return ip.is_global and not ip.is_multicast

    def resolve(self, url: str, resolver: Resolver) -> CallbackAddress:
        """The checked target of ``url``: every address the host resolves to must be allowed."""
        scheme, host, port = self.check_name(url)
        try:
            addresses = [str(ipaddress.ip_address(host))]  # an IP literal needs no lookup
        except ValueError:
            addresses = resolver(host, port)
        if not addresses:
            raise CallbackRefused(f"callback host {host!r} has no address")
        refused = [a for a in addresses if not self.check_address(a)]
        if refused:
            # All or nothing: one private answer among public ones is how rebinding attacks start.
            raise CallbackRefused(
                f"callback host {host!r} resolves to {', '.join(refused)}, which is not a public address "
                "(allow it with callbacks.allow_networks)"
            )
        return CallbackAddress(url, scheme, host, port, addresses[0])


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return host == pattern


class CallbackSender:
    """POSTs signed JSON to a checked address, retrying transient failures with backoff."""

    def __init__(
        self,
        cfg: CallbacksConfig,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cfg = cfg
        self.policy = HostPolicy(cfg.allow_hosts, cfg.allow_networks)
        self.resolver = resolver
        self.transport = transport
        self.sleep = sleep

    def send(
        self,
        url: str,
        body: bytes,
        secret: str,
        *,
        extra_hosts: Sequence[str] = (),
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, int]:
        """The receiver's 2xx answer and the number of attempts; CallbackRefused or CallbackFailed."""
        policy = self.policy.with_hosts(extra_hosts)
        policy.check_name(url)  # refused before any lookup or connection
        where = redacted(url)
        attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.cfg.attempts),
            wait=wait_exponential(multiplier=self.cfg.backoff_s, max=self.cfg.max_backoff_s),
            retry=retry_if_exception_type(_Transient),
            sleep=self.sleep,
        )
        with httpx.Client(
            transport=self.transport, timeout=self.cfg.timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            try:
                for attempt in retrying:
                    with attempt:
                        attempts += 1
                        # Resolved again on each attempt: a retry an hour later may meet new DNS.
                        target = policy.resolve(url, self.resolver)
                        response = self._post(client, target, body, secret, headers or {})
                return response, attempts
            except RetryError as exc:
                last = exc.last_attempt.exception()
                raise CallbackFailed(
                    f"callback to {where} failed after {attempts} attempts: {last}"
                ) from None

    def _post(
        self, client: httpx.Client, target: CallbackAddress, body: bytes, secret: str, headers: dict[str, str]
    ) -> httpx.Response:
        sent = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **headers,
            **signing.signed_headers(secret, body),
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            response = client.post(target.pinned_url(), content=body, headers=sent, extensions=extensions)
        except httpx.TransportError as exc:
            raise _Transient(f"{type(exc).__name__}: {exc or 'no answer'}") from None
        if response.is_success:
            return response
        reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if response.status_code in TRANSIENT_STATUS:
            raise _Transient(reason)
        raise CallbackFailed(f"callback to {redacted(target.url)} was refused: {reason}")


class CallbackSink(Sink):
    """``{name: callback, params: {url, hook?, audio?: url|base64}}`` in a job's sinks."""

    def __init__(
        self, key: str, settings: Settings, sender: CallbackSender, links: signing.LinkSigner
    ) -> None:
        self.key = key
        self.settings = settings
        self.sender = sender
        self.links = links

    def deliver(self, job: Job, artifact: Path, params: dict[str, Any]) -> Receipt:
        body = self.payload(job, artifact, params.get("audio", "url"))
        url, response, attempts = self._send(job, params, "job.succeeded", body)
        return Receipt(self.key, redacted(url), {"http_status": response.status_code, "attempts": attempts})

    def notify_failure(self, job: Job, params: dict[str, Any], status: str, code: str, message: str) -> None:
        if code in (CallbackRefused.code, CallbackFailed.code):
            return  # the callback itself is what failed: calling again cannot tell anyone
        body = {
            "event": "job.failed",
            "job_id": job.id,
            "status": status,
            "hook": job.spec.metadata.get("hook"),
            "idempotency_key": job.spec.idempotency_key,
            "error": {"code": code, "message": message},
            "metadata": job.spec.metadata,
        }
        self._send(job, params, "job.failed", body)

    def _send(
        self, job: Job, params: dict[str, Any], event: str, payload: dict[str, Any]
    ) -> tuple[str, httpx.Response, int]:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            raise CallbackRefused("the callback sink needs params.url")
        hook_name = params.get("hook")
        hook = hooks_of(self.settings).get(hook_name) if isinstance(hook_name, str) else None
        if hook_name is not None and hook is None:
            raise CallbackRefused(f"job names hook {hook_name!r}, which is not configured")
        if hook is not None:
            secrets = hook.secrets(str(hook_name))
            extra = hook.callback.allow_hosts if hook.callback else []
        else:
            own = callbacks_of(self.settings).secret.get_secret_value()
            secrets, extra = ([own] if own else []), []
        if not secrets:
            raise CallbackRefused("no secret to sign the callback with (set VOXFLOW_CALLBACK_SECRET)")
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"X-Voxflow-Event": event, "X-Voxflow-Job": job.id}
        response, attempts = self.sender.send(url, body, secrets[0], extra_hosts=extra, headers=headers)
        return url, response, attempts

    def payload(self, job: Job, artifact: Path, audio: str) -> dict[str, Any]:
        cfg = callbacks_of(self.settings)
        spec = job.spec
        size = artifact.stat().st_size
        # What the receiver checks its download against: taken from the file being announced.
        stored = job.artifact
        if stored is None or stored.bytes != size:
            stored = Artifact(artifact.name, spec.format, size, file_sha256(artifact), spec.sample_rate or 0)
        body: dict[str, Any] = {
            "event": "job.succeeded",
            "job_id": job.id,
            "status": "succeeded",
            "hook": spec.metadata.get("hook"),
            "idempotency_key": spec.idempotency_key,
            "duration_ms": audio_duration_ms(stored, artifact),
            "format": stored.format,
            "media_type": stored.media_type,
            "bytes": size,
            "sha256": stored.sha256,
            "metadata": spec.metadata,
        }
        if audio == "base64" and size <= cfg.inline_max_bytes:
            body["audio"] = {"encoding": "base64", "data": base64.b64encode(artifact.read_bytes()).decode()}
        else:
            path, expires = self.links.sign(f"/v1/jobs/{job.id}/audio", cfg.link_ttl_s)
            body["audio_url"] = public_base(self.settings) + path
            body["audio_url_expires_at"] = expires
        return body


def public_base(settings: Settings) -> str:
    configured = callbacks_of(settings).public_url
    if configured:
        return configured.rstrip("/")
    host = settings.server.host
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.server.port}"
