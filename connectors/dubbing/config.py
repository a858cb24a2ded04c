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
    that still does not fit stops the run. A cue shorter than its slot is spoken as it comes, or
    slowed by at most ``max_slowdown`` towards it when that is above 1: the default keeps the
    model's own pace (slowing by 10 % showed Whisper no gain on bench/dubbing.py) and saves a
    second model run per cue. Cues compressed more than ``report_over`` are reported.
    """

    model_config = ConfigDict(extra="forbid")

    speakers: dict[str, str] = Field(default_factory=dict)
    max_compression: float = Field(2.0, ge=1.0, le=2.5)
    max_slowdown: float = Field(1.0, ge=1.0, le=2.0)
    report_over: float = Field(1.3, ge=1.0)


def dubbing_of(settings: Settings) -> DubbingConfig:
    cfg: DubbingConfig = settings.section("dubbing", DubbingConfig)
    return cfg
