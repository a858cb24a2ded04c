"""A webhook request becomes a job: signature, replay, payload, then submit. No HTTP here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from integrator.jobs.job import Job, JobSpec, SinkRequest
from integrator.jobs.service import InvalidJob, JobService
from tts_engine.errors import InvalidOptionError

from .. import signing
from ..callback import CallbackRefused, HostPolicy
from ..config import CALLBACK_SINK, CallbacksConfig, HookConfig, hook_secret_env
from . import payload as payloads
from .replay import ReplayGuard


class HookRejected(Exception):
    """The request makes no job; ``status`` and ``code`` are the HTTP answer, ``param`` names a field."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.param = param


class Hooks:
    """The configured hooks of one process."""

    def __init__(
        self,
        hooks: Mapping[str, HookConfig],
        jobs: JobService,
        replay: ReplayGuard,
        callbacks: CallbacksConfig,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.hooks = dict(hooks)
        self.jobs = jobs
        self.replay = replay
        self.callbacks = callbacks
        self.clock = clock

    def problems(self) -> list[str]:
        """Misconfigurations to refuse at start-up rather than answer with at request time."""
        out = []
        for name, hook in self.hooks.items():
            if not hook.secrets(name):
                out.append(f"hooks.{name}: no secret; set {hook.secret_env or hook_secret_env(name)}")
            if hook.style is not None:
                try:
                    self.jobs.styles.get(hook.style)
                except InvalidOptionError as exc:
                    out.append(f"hooks.{name}.style: {exc}")
            if hook.callback is not None and hook.callback.url is not None:
                try:
                    self._policy(hook).check_name(hook.callback.url)
                except CallbackRefused as exc:
                    out.append(f"hooks.{name}.callback.url: {exc}")
        return out

    def _policy(self, hook: HookConfig) -> HostPolicy:
        extra = hook.callback.allow_hosts if hook.callback else []
        return HostPolicy([*self.callbacks.allow_hosts, *extra], self.callbacks.allow_networks)

    def receive(self, name: str, headers: Mapping[str, str], body: bytes) -> tuple[Job, bool]:
        """The job for this request and whether it is new (False: its idempotency key was seen)."""
        hook = self.hooks.get(name)
        if hook is None:
            raise HookRejected(404, "unknown_hook", f"no hook named {name!r}")
        now = self.clock() if self.clock else None
        try:
            digest = signing.verify(hook.secrets(name), headers, body, tolerance_s=hook.tolerance_s, now=now)
        except signing.SignatureError as exc:
            raise HookRejected(401, exc.code, str(exc)) from None
        # Remembered a little past the window, so clock skew between servers cannot reopen it.
        if not self.replay.first_use(f"{name}:{digest}", 2 * hook.tolerance_s + 60):
            raise HookRejected(
                409, "replayed", "this signed request was already received; sign each request anew"
            )
        try:
            spec = self._spec(name, hook, headers, payloads.parse(body))
        except payloads.PayloadError as exc:
            raise HookRejected(exc.status, exc.code, str(exc), exc.param) from None
        try:
            return self.jobs.submit(spec)
        except InvalidJob as exc:
            # The hook's own style was checked at start-up: a bad one came from the body, at its path.
            param = hook.expression_paths().get(exc.field, exc.field)
            raise HookRejected(422, exc.code, str(exc), param) from None

    def _spec(self, name: str, hook: HookConfig, headers: Mapping[str, str], data: Any) -> JobSpec:
        text = payloads.text_at(data, hook.text_path)
        key = None
        if hook.idempotency_header:
            key = headers.get(hook.idempotency_header)
        elif hook.idempotency_path:
            key = payloads.value_at(data, hook.idempotency_path)
        sinks = []
        if hook.callback is not None:
            url = hook.callback.url
            if url is None:
                assert hook.callback.url_path is not None
                url = payloads.value_at(data, hook.callback.url_path)
                if url is None:
                    path = hook.callback.url_path
                    raise payloads.PayloadError(
                        422, "callback_url_not_found", f"no callback URL at {path!r}", path
                    )
            try:
                self._policy(hook).check_name(url)  # early; the sink checks again, with DNS, before sending
            except CallbackRefused as exc:
                raise payloads.PayloadError(422, exc.code, str(exc), hook.callback.url_path) from None
            params = {"url": url, "hook": name, "audio": hook.callback.audio}
            sinks.append(SinkRequest(name=CALLBACK_SINK, params=params))
        paths = hook.expression_paths()
        expression = {"style": hook.style, "intensity": hook.intensity, **payloads.expression_at(data, paths)}
        try:
            return JobSpec(
                texts=[text],
                voice=hook.voice,
                format=hook.format,
                speed=hook.speed,
                priority=hook.priority,
                source=f"hook:{name}",
                idempotency_key=f"hook:{name}:{key}"[:200] if key else None,
                sinks=sinks,
                feed=hook.feed,
                metadata={"hook": name},
                **expression,
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else "duration_s"  # only both durations lack a loc
            message = f"{field}: {error['msg']}".replace("Value error, ", "")
            raise payloads.PayloadError(422, "invalid_value", message, paths.get(field, field)) from None
