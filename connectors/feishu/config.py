"""The ``feishu:`` section of the Voxflow configuration.

Secrets stay out of the YAML file: an empty ``app_id``, ``app_secret``, ``encrypt_key`` or
``verification_token`` is read from ``FEISHU_APP_ID``, ``FEISHU_APP_SECRET``,
``FEISHU_ENCRYPT_KEY`` or ``FEISHU_VERIFICATION_TOKEN``.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

ENV_PREFIX = "FEISHU_"
SOURCE = "feishu"  # the jobs' source
RECORD_SINK = "feishu_bitable"  # job sink names (and types) in jobs.sinks
CHAT_SINK = "feishu_chat"
UPLOAD_ALL_LIMIT = 20 * 1024 * 1024  # Feishu's limit for medias/upload_all


class FieldNames(BaseModel):
    """Column names in the table. ``text`` may list several columns, read in order and joined."""

    model_config = ConfigDict(extra="forbid")

    text: list[str] = Field(default_factory=lambda: ["Minutes"], min_length=1)
    attachment: str = "Audio"
    status: str = "Status"
    duration: str | None = "Duration"
    error: str | None = "Error"
    voice: str | None = None
    speed: str | None = None
    style: str | None = None  # a speaking style per record (single select: 开心, sad, …)
    intensity: str | None = None  # how strongly: 0–1, or a percentage (70, "70%")

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def inputs(self) -> list[str]:
        """Columns whose edits change the audio."""
        return [*self.text, *(n for n in (self.voice, self.speed, self.style, self.intensity) if n)]

    def outputs(self) -> list[str]:
        """Columns the connector writes."""
        return [n for n in (self.attachment, self.status, self.duration, self.error) if n]


class StatusValues(BaseModel):
    """The values written to (and read from) the status column."""

    model_config = ConfigDict(extra="forbid")

    pending: str = "Pending"
    processing: str = "Processing"
    done: str = "Done"
    failed: str = "Failed"


class TableConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_token: str = Field(min_length=1)
    table_id: str = Field(min_length=1)
    view_id: str | None = None
    fields: FieldNames | None = None  # overrides the section's ``fields`` for this table

    @property
    def key(self) -> str:
        return f"{self.app_token}/{self.table_id}"


class RetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=6, ge=1, le=20)
    initial_wait_s: float = Field(default=1.0, gt=0)
    max_wait_s: float = Field(default=60.0, gt=0)


class FeishuConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    # poll: search the tables every poll_interval_s; events: act on record-changed webhooks
    # (POST /v1/connectors/feishu/events); both: events, with polling as a safety net.
    mode: Literal["poll", "events", "both"] = "poll"
    domain: str = "https://open.feishu.cn"
    app_id: str = ""
    app_secret: SecretStr = SecretStr("")
    encrypt_key: SecretStr = SecretStr("")
    verification_token: SecretStr = SecretStr("")
    timeout_s: float = Field(default=30.0, gt=0)
    tables: list[TableConfig] = Field(default_factory=list)
    fields: FieldNames = Field(default_factory=FieldNames)
    status: StatusValues = Field(default_factory=StatusValues)
    voice: str | None = None  # default voice; None picks the engine's default for the text's language
    style: str | None = Field(default=None, min_length=1, max_length=64)  # for records without a Style
    format: str = Field(default="mp3", pattern="^(mp3|opus|wav|flac|aac)$")
    poll_interval_s: float = Field(default=60.0, ge=5)
    chats: list[str] = Field(default_factory=list)  # chat ids that get each new recording as a voice message
    upload_all_limit: int = Field(default=UPLOAD_ALL_LIMIT, gt=0, le=UPLOAD_ALL_LIMIT)
    retry: RetryConfig = Field(default_factory=RetryConfig)

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_env(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in ("app_id", "app_secret", "encrypt_key", "verification_token"):
            if not data.get(name):
                data[name] = os.environ.get(ENV_PREFIX + name.upper(), "")
        return data

    def fields_for(self, table: TableConfig) -> FieldNames:
        return table.fields or self.fields

    def table(self, app_token: str, table_id: str) -> TableConfig | None:
        return next((t for t in self.tables if t.app_token == app_token and t.table_id == table_id), None)

    def problems(self) -> list[str]:
        """What keeps the connector from running, in words a person can act on."""
        out = []
        if not self.app_id:
            out.append("feishu.app_id is empty (set it or FEISHU_APP_ID)")
        if not self.app_secret.get_secret_value():
            out.append("feishu.app_secret is empty (set FEISHU_APP_SECRET)")
        if not self.tables:
            out.append("feishu.tables lists no table")
        return out
