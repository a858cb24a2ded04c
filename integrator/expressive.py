"""The request fields every way in shares for a speaking style and a target duration."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from tts_engine.prosody.expression import MAX_DURATION_RATIO, MAX_DURATION_S, MIN_DURATION_RATIO, Expression


class ExpressionFields(BaseModel):
    """Mixed into request bodies: ``style``, ``intensity``, ``duration_s``, ``duration_ratio``."""

    style: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Speaking style from GET /v1/styles (cheerful, sad, 开心, …); default neutral.",
    )
    intensity: float = Field(default=1.0, ge=0.0, le=1.0, description="How strongly to apply the style, 0–1.")
    duration_s: float | None = Field(
        default=None,
        gt=0.0,
        le=MAX_DURATION_S,
        description="Make the audio exactly this long (±2 % or ±40 ms).",
    )
    duration_ratio: float | None = Field(
        default=None,
        ge=MIN_DURATION_RATIO,
        le=MAX_DURATION_RATIO,
        description="Make the audio this many times its natural length.",
    )

    @model_validator(mode="after")
    def _one_duration(self) -> ExpressionFields:
        if self.duration_s is not None and self.duration_ratio is not None:
            raise ValueError("give 'duration_s' or 'duration_ratio', not both")
        return self

    def expression(self) -> Expression:
        return Expression(
            style=self.style or "neutral",
            intensity=self.intensity,
            duration_s=self.duration_s,
            duration_ratio=self.duration_ratio,
        )
