"""Configuration sections of the webhook, callback, feed and audiobook connectors.

``hooks:`` names inbound webhooks (``POST /v1/hooks/{name}``), ``callbacks:`` says how results
are called back and which hosts may be called, ``feeds:`` tunes live channels, ``audiobook:``
confines batch jobs to their directories. Secrets stay out of YAML: an empty ``secret`` is read
from the environment variable the section names.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

if TYPE_CHECKING:
    from integrator.config import Settings

HOOK_NAME = r"^[A-Za-z0-9_-]{1,64}$"
CALLBACK_SINK = "callback"  # the job sink (and its type) that calls results back
CALLBACK_SECRET_ENV = "VOXFLOW_CALLBACK_SECRET"
LINK_SECRET_ENV = "VOXFLOW_LINK_SECRET"
HookFormat = Literal["mp3", "wav", "opus", "flac", "aac"]
# The request fields of a style and a duration, and the HookConfig setting that says where a body holds each.
EXPRESSION_PATHS = {f: f"{f}_path" for f in ("style", "intensity", "duration_s", "duration_ratio")}


def hook_secret_env(name: str) -> str:
    """``orders-eu`` → ``VOXFLOW_HOOK_ORDERS_EU_SECRET``."""
    return f"VOXFLOW_HOOK_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_SECRET"


def _json_path(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ValueError(f"{field}: {value!r} is not a JMESPath expression ({exc})") from None
    return value


class HookCallback(BaseModel):
    """Where a hook's result is called back: a fixed ``url``, or one taken from the payload at
    ``url_path``. ``allow_hosts`` adds to ``callbacks.allow_hosts`` for this hook only."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    url_path: str | None = None
    allow_hosts: list[str] = Field(default_factory=list)
    # url: a time-limited signed link to GET the audio; base64: the audio inside the JSON body
    audio: Literal["url", "base64"] = "url"

    @model_validator(mode="after")
    def _one_source(self) -> HookCallback:
        if (self.url is None) == (self.url_path is None):
            raise ValueError("callback: give exactly one of url or url_path")
        _json_path(self.url_path, "callback.url_path")
        return self


class HookConfig(BaseModel):
    """One inbound webhook. ``text_path`` and ``idempotency_path`` are JMESPath expressions
    (``data.content``, ``items[0].text``) into the JSON body. ``style`` and ``intensity`` are the
    hook's speaking style; a body may set its own at ``style_path``, ``intensity_path``,
    ``duration_s_path`` and ``duration_ratio_path`` (null: the body cannot)."""

    model_config = ConfigDict(extra="forbid")

    # Empty: read from secret_env (default VOXFLOW_HOOK_<NAME>_SECRET). Comma-separated values
    # are all accepted, so a secret can be rotated without downtime.
    secret: SecretStr = SecretStr("")
    secret_env: str | None = None
    text_path: str = "text"
    voice: str | None = None
    format: HookFormat = "mp3"
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    priority: int = Field(default=5, ge=0, le=9)
    idempotency_header: str | None = None
    idempotency_path: str | None = None
    callback: HookCallback | None = None
    feed: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    tolerance_s: int = Field(default=300, ge=10, le=3600)
    style: str | None = Field(default=None, min_length=1, max_length=64)
    intensity: float = Field(default=1.0, ge=0.0, le=1.0)
    style_path: str | None = "style"
    intensity_path: str | None = "intensity"
    duration_s_path: str | None = "duration_s"
    duration_ratio_path: str | None = "duration_ratio"

    @model_validator(mode="after")
    def _paths(self) -> HookConfig:
        for field in ("text_path", "idempotency_path", *EXPRESSION_PATHS.values()):
            _json_path(getattr(self, field), field)
        if self.idempotency_header and self.idempotency_path:
            raise ValueError("give at most one of idempotency_header or idempotency_path")
        return self

    def expression_paths(self) -> dict[str, str]:
        """Request field -> where the body may hold it, for the fields this hook reads from bodies."""
        return {f: path for f, key in EXPRESSION_PATHS.items() if (path := getattr(self, key))}

    def secrets(self, name: str) -> list[str]:
        """The accepted secrets: ``secret``, else the environment variable."""
        raw = self.secret.get_secret_value() or os.environ.get(self.secret_env or hook_secret_env(name), "")
        return [s.strip() for s in raw.split(",") if s.strip()]


class CallbacksConfig(BaseModel):
    """Result callbacks (the ``callback`` job sink) and the signed audio links they carry."""

    model_config = ConfigDict(extra="forbid")

    # Hosts any job may be called back on: "hooks.example.com", "*.example.com", or an IP literal.
    allow_hosts: list[str] = Field(default_factory=list)
    # Callbacks never reach private, loopback, link-local or other non-public addresses, whatever
    # the name resolves to, unless the address is inside one of these networks ("127.0.0.1/32").
    allow_networks: list[str] = Field(default_factory=list)
    attempts: int = Field(default=5, ge=1, le=20)
    backoff_s: float = Field(default=1.0, gt=0)
    max_backoff_s: float = Field(default=60.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)
    # Signs callbacks of jobs that came from no hook (a hook's callbacks use the hook's secret).
    secret: SecretStr = SecretStr("")
    # Base of audio links, as receivers reach this server; empty: http://server.host:server.port.
    public_url: str | None = None
    link_ttl_s: int = Field(default=86400, ge=60)
    # Signs audio links; empty: a random key kept in data_dir/link.key (set it when several
    # machines serve the same jobs).
    link_secret: SecretStr = SecretStr("")
    # base64 callbacks with more audio than this carry a link instead.
    inline_max_bytes: int = Field(default=8 * 1024 * 1024, gt=0)

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                raise ValueError(f"allow_networks: {exc}") from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_env(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if not data.get("secret"):
                data["secret"] = os.environ.get(CALLBACK_SECRET_ENV, "")
            if not data.get("link_secret"):
                data["link_secret"] = os.environ.get(LINK_SECRET_ENV, "")
        return data


class FeedsConfig(BaseModel):
    """Live channels (``WS /v1/feeds/{channel}``)."""

    model_config = ConfigDict(extra="forbid")

    # auto: Redis pub/sub when jobs.backend is redis (workers on other machines), else in-process.
    backend: Literal["auto", "memory", "redis"] = "auto"
    redis_url: str | None = None  # default: jobs.redis_url
    # Messages a listener may fall behind before it is dropped (closed with 1013).
    listener_queue: int = Field(default=256, ge=4)
    # Audio of jobs waiting for their turn on a busy channel, per channel.
    max_waiting_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # Seconds of a channel's latest audio a listener who joins hears first (from a sentence start),
    # and how long an ended narration stays to be heard; at most this much audio is kept per channel.
    # 0: a joiner starts at the sentence being spoken.
    replay_s: float = Field(default=60.0, ge=0, le=3600)


class AudiobookConfig(BaseModel):
    """Batch jobs (API and schedules) read books only under ``input_dir`` and write only under
    ``output_dir`` (relative paths resolve there); ``voxflow batch`` on the command line is not confined."""

    model_config = ConfigDict(extra="forbid")

    input_dir: Path | None = None  # default: data_dir/books
    output_dir: Path | None = None  # default: data_dir/audiobooks
    format: Literal["mp3", "m4b"] = "mp3"
    # Bits per second of chapter files and the book.
    bitrate: int = Field(default=64_000, ge=16_000, le=320_000)
    # The speaking style of books that name none (voxflow batch --style, a job's style).
    style: str | None = Field(default=None, min_length=1, max_length=64)
    intensity: float = Field(default=1.0, ge=0.0, le=1.0)


def root(configured: Path | None, data_dir: Path, default: str) -> Path:
    return (configured or data_dir / default).expanduser().resolve()


# The ``hooks:`` section: hook name -> its configuration.
HookTable = dict[Annotated[str, Field(pattern=HOOK_NAME)], HookConfig]


def hooks_of(settings: Settings) -> dict[str, HookConfig]:
    hooks: dict[str, HookConfig] = settings.section("hooks", HookTable)
    return hooks


def callbacks_of(settings: Settings) -> CallbacksConfig:
    cfg: CallbacksConfig = settings.section("callbacks", CallbacksConfig)
    return cfg


def feeds_of(settings: Settings) -> FeedsConfig:
    cfg: FeedsConfig = settings.section("feeds", FeedsConfig)
    return cfg


def audiobook_of(settings: Settings) -> AudiobookConfig:
    cfg: AudiobookConfig = settings.section("audiobook", AudiobookConfig)
    return cfg
