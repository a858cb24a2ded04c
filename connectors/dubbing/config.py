"""The ``dubbing:`` settings section."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from integrator.config import Settings


class DubbingConfig(BaseModel):
    """``speakers`` maps speaker labels (``Alice: ...``, WebVTT ``<v Alice>``) to voice ids.

    A cue whose natural speech is longer than its slot is compressed to fit, up to
    ``max_compression`` times; beyond that it also takes the silence before the next cue, and a cue
    that still does not fit stops the run. A cue shorter than its slot is slowed by at most
    ``max_slowdown`` to fill it. Cues compressed more than ``report_over`` are reported.
    """

    model_config = ConfigDict(extra="forbid")

    speakers: dict[str, str] = Field(default_factory=dict)
    max_compression: float = Field(2.0, ge=1.0, le=2.5)
    max_slowdown: float = Field(1.1, ge=1.0, le=2.0)
    report_over: float = Field(1.3, ge=1.0)


def dubbing_of(settings: Settings) -> DubbingConfig:
    cfg: DubbingConfig = settings.section("dubbing", DubbingConfig)
    return cfg
