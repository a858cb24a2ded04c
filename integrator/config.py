"""Configuration: embedded defaults, overlaid by a YAML file, overlaid by environment variables.

Settings are a value: :func:`load_settings` reads and validates them and changes nothing else.
Environment variables follow the pydantic-settings convention: ``VOXFLOW_`` + the setting's
path, ``__`` between levels (``VOXFLOW_DATA_DIR``, ``VOXFLOW_JOBS__REDIS_URL``,
``VOXFLOW_SERVER__API_KEYS='["k1"]'``; lists and mappings as JSON).
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError, model_validator

from tts_engine.errors import InvalidOptionError, VoiceMixError
from tts_engine.prosody.styles import StyleBook
from tts_engine.voice_mix import is_mix, parse_mix

ENV_FILE = "VOXFLOW_CONFIG"
PRELOAD_DEFAULTS = "default"  # in engine.preload: the resolved default voices
ENV_PREFIX = "VOXFLOW_"
ENV_NESTED = "__"


class EngineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # language -> voice id, or ids in order of preference: the first that can load here speaks.
    default_voice: dict[str, str | list[str]] = Field(default_factory=dict)
    # Voices loaded at start-up; "default" stands for the default voices resolved on this machine.
    preload: list[str] = Field(default_factory=list)
    max_chars: int = Field(200_000, gt=0)
    lexicon: Path | None = None
    device: str = Field("auto", pattern="^(auto|cpu|cuda)$")
    target_lufs: float = -20.0
    voices: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Speaking styles: tune the built-in ones or add your own (README, "Speaking styles").
    styles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Named voice mixes, listed with the voices: id -> "zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3".
    mixes: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_styles(self) -> EngineConfig:
        try:
            StyleBook.from_settings(self.styles)
        except InvalidOptionError as exc:
            raise ValueError(f"engine.{exc}") from None
        for name, expression in self.mixes.items():
            if is_mix(name) or not name.strip():
                raise ValueError(f"engine.mixes: {name!r} cannot name a voice (no + * ( ) in a name)")
            try:
                parse_mix(expression)
            except VoiceMixError as exc:
                raise ValueError(f"engine.mixes.{name}: {exc}") from None
        return self


class VoiceLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(4, ge=1)
    queue: int = Field(16, ge=0)


class ServerConfig(BaseModel):
    """``voxflow serve``: listening address, access, limits. See the README, "Serving"."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    api_keys: list[str] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(2 * 1024 * 1024, gt=0)
    # Per voice: streams synthesizing at once, and requests allowed to wait for one.
    concurrency: int = Field(4, ge=1)
    queue: int = Field(16, ge=0)
    voice_limits: dict[str, VoiceLimits] = Field(default_factory=dict)
    retry_after_s: int = Field(2, ge=1)
    # Synthesized chunks a stream may hold for a slow reader before synthesis pauses.
    stream_buffer: int = Field(4, ge=1)
    ws_max_message_bytes: int = Field(1024 * 1024, gt=0)
    ws_max_pending: int = Field(8, ge=1)
    heartbeat_s: float = Field(20.0, gt=0)
    idle_timeout_s: float = Field(300.0, gt=0)
    # OpenAI voice name -> {language: voice id}; a language left out uses engine.default_voice.
    openai_voices: dict[str, dict[str, str]] = Field(default_factory=dict)

    def gate(self, voice_id: str, backend: str | None = None) -> tuple[str, VoiceLimits]:
        """Which admission gate a voice's requests pass, and its limits: the voice's own entry of
        ``voice_limits``, else its backend's (one gate for every voice of that model, as Kokoro's
        speakers share one), else its own gate with the defaults."""
        if voice_id in self.voice_limits:
            return voice_id, self.voice_limits[voice_id]
        if backend is not None and backend in self.voice_limits:
            return backend, self.voice_limits[backend]
        return voice_id, VoiceLimits(concurrency=self.concurrency, queue=self.queue)


class ScheduleConfig(BaseModel):
    """One entry of ``jobs.schedules``: run ``action`` (a registered action name or a dotted callable)
    with ``args`` on a cron expression or every ``interval_seconds``."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=191)
    cron: str | None = None
    interval_seconds: float | None = Field(default=None, gt=0)
    action: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_trigger(self) -> ScheduleConfig:
        if (self.cron is None) == (self.interval_seconds is None):
            raise ValueError(f"schedule {self.id!r}: give exactly one of cron or interval_seconds")
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(self.cron)
            except ValueError as exc:
                raise ValueError(f"schedule {self.id!r}: bad cron {self.cron!r}: {exc}") from None
        return self


class JobsConfig(BaseModel):
    """Durable jobs (integrator/jobs): database, queue backend, retries, leases, cache, artifacts."""

    model_config = ConfigDict(extra="forbid")

    # sqlite: embedded queue file in data_dir, consumers inside `voxflow serve`;
    # redis: shared queue for `voxflow worker` processes on many machines.
    backend: Literal["sqlite", "redis"] = "sqlite"
    # SQLAlchemy URL; None means sqlite:///<data_dir>/voxflow.db (WAL).
    database_url: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = Field(default="voxflow", pattern=r"^[A-Za-z0-9_]+$")
    # Worker threads `voxflow serve` runs; 0 leaves execution to `voxflow worker` processes.
    workers: int = Field(default=1, ge=0)
    # Extra threads per worker host for live-priority jobs only, so they never wait for a batch.
    live_workers: int = Field(default=1, ge=0)
    max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    timeout_seconds: float = Field(default=1800.0, gt=0)
    lease_seconds: float = Field(default=30.0, gt=0)
    heartbeat_seconds: float = Field(default=1.0, gt=0)
    requeue_after_seconds: float = Field(default=120.0, gt=0)
    sweep_interval_seconds: float = Field(default=10.0, gt=0)
    poll_seconds: float = Field(default=0.02, gt=0)
    cache_max_mb: int = Field(default=512, ge=0)
    artifact_retention_days: float = Field(default=7.0, gt=0)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    misfire_grace_seconds: int = Field(default=300, ge=1)
    # name -> {type: file, directory: ...}; jobs name the sinks they are delivered to.
    sinks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    schedules: list[ScheduleConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> JobsConfig:
        if self.lease_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("jobs.lease_seconds must be at least twice jobs.heartbeat_seconds")
        ids = [s.id for s in self.schedules]
        if len(ids) != len(set(ids)):
            raise ValueError("jobs.schedules: ids must be unique")
        return self


class PolicyConfig(BaseModel):
    """The text policy every text passes before synthesis (README, "Text policy")."""

    model_config = ConfigDict(extra="forbid")

    # A file of denied terms and /regexes/, one a line (integrator/deny_list.py).
    deny_list: Path | None = None
    # Check callables, run in order after the deny list: a name registered under the
    # ``voxflow.text_checks`` entry point group, or ``module:function``.
    checks: list[str] = Field(default_factory=list)


class Settings(BaseModel):
    """The core settings; connectors' sections (``feishu:``, ``hooks:``...) ride along as extra
    fields, validated by their connectors' own models (:func:`validate_settings`)."""

    model_config = ConfigDict(extra="allow")

    data_dir: Path = Path("./data")
    engine: EngineConfig = Field(default_factory=EngineConfig)  # type: ignore[arg-type]
    server: ServerConfig = Field(default_factory=ServerConfig)  # type: ignore[arg-type]
    jobs: JobsConfig = Field(default_factory=JobsConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    _sections: dict[str, Any] = PrivateAttr(default_factory=dict)

    def section(self, name: str, kind: Any) -> Any:
        """A connector's section, validated by ``kind`` (its model, or any type pydantic validates)
        once; later calls return the same value. Typed callers use :func:`section_of`."""
        if name in self._sections:
            return self._sections[name]
        extra = self.__pydantic_extra__
        if extra is None:  # pragma: no cover - extra="allow" always has the mapping
            raise ConfigError(f"settings carry no section {name!r}")
        raw = extra.get(name)
        try:
            value = TypeAdapter(kind).validate_python({} if raw is None else raw)
        except ValidationError as exc:
            raise ConfigError(f"invalid configuration: {name}: {exc}") from None
        extra[name] = self._sections[name] = value
        return value


class ConfigError(Exception):
    pass


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the top level must be a mapping")
    return data


def defaults() -> dict[str, Any]:
    text = resources.files("integrator").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return _read_yaml(text, "embedded defaults")


def config_file(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The file settings come from: ``path``, else $VOXFLOW_CONFIG, else ./config.yaml when present."""
    chosen = path or (os.environ if environ is None else environ).get(ENV_FILE) or None
    if chosen is None and Path("config.yaml").is_file():
        chosen = "config.yaml"
    return Path(chosen) if chosen is not None else None


def env_overrides(environ: Mapping[str, str], sections: Sequence[str]) -> dict[str, Any]:
    """Settings from ``VOXFLOW_<SECTION>[__<KEY>...]`` variables: a top-level setting named in
    ``sections``, or any nested one (``__``). VOXFLOW_CONFIG, VOXFLOW_API_KEYS and the secret
    variables (one level, not a known section) are not settings."""
    found: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_NESTED)]
        if (len(path) == 1 and path[0] not in sections) or not all(path):
            continue
        value: Any = raw
        if raw[:1] in ("[", "{"):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{name}: not valid JSON: {exc}") from None
        node = found
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{name}: {part} is given both as a value and as a section")
        node[path[-1]] = value
    return found


def validate_settings(data: Mapping[str, Any], sections: Mapping[str, Any] | None = None) -> Settings:
    """``data`` as Settings, each connector section in ``sections`` (name -> type) validated by its
    own type (absent: its defaults). Sections not named are validated when first read."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    for name, kind in (sections or {}).items():
        settings.section(name, kind)
    return settings


def load_settings(
    path: str | Path | None = None,
    sections: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Defaults, then the file :func:`config_file` picks, then the environment; validated.

    ``sections``: connectors' sections (name -> type) to validate now (``integrator.plugins.
    load_settings`` passes the installed connectors'). Changes and starts nothing.
    """
    env = os.environ if environ is None else environ
    data = defaults()
    chosen = config_file(path, env)
    if chosen is not None:
        file = Path(chosen)
        if not file.is_file():
            raise ConfigError(f"config file {file} does not exist")
        own = _read_yaml(file.read_text(encoding="utf-8"), str(file))
        warn_if_exposed(file, own)
        data = _merge(data, own)
    top = [*Settings.model_fields, *(sections or {})]
    data = _merge(data, env_overrides(env, top))
    return validate_settings(data, sections)


# -- secrets in the config file ----------------------------------------------------
log = logging.getLogger("voxflow.config")
# Keys whose non-empty value is a secret (server.api_keys, feishu.app_secret, hooks.*.secret…),
# and URLs with a password in them (a Redis or PostgreSQL URL).
# (Not every *_token: a Bitable app_token names a base, it grants nothing.)
_SECRET_KEY = re.compile(r"(^|_)(secret|secrets|password)$|^(api_keys|encrypt_key|verification_token|token)$")
_URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*:[^/@\s]+@")


def secret_keys(data: Any, prefix: str = "") -> list[str]:
    """Dotted names of the settings in ``data`` (one YAML file's contents) that hold a secret."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}{key}"
            if _SECRET_KEY.search(str(key)) and value not in (None, "", [], {}):
                found.append(name)
            elif isinstance(value, str) and _URL_PASSWORD.match(value):
                found.append(name)
            else:
                found += secret_keys(value, name + ".")
    elif isinstance(data, list):
        for i, item in enumerate(data):
            found += secret_keys(item, f"{prefix.rstrip('.')}[{i}].")
    return found


def warn_if_exposed(path: Path, data: dict[str, Any]) -> list[str]:
    """Log a warning when ``path`` holds secrets and other users may read it; returns the secrets' names.

    Secrets belong in environment variables or in a file only its owner reads (chmod 600).
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return []
    names = secret_keys(data)
    if names:
        log.warning(
            "config file %s holds secrets (%s) and is readable by %s (mode %s): run `chmod 600 %s`, "
            "or move the secrets to environment variables",
            path,
            ", ".join(names),
            {stat.S_IRGRP: "its group", stat.S_IROTH: "others"}.get(
                mode & (stat.S_IRGRP | stat.S_IROTH), "group and others"
            ),
            oct(stat.S_IMODE(mode)),
            path,
        )
    return names
