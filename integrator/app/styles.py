"""``GET /v1/styles``: the speaking styles this server knows, with their prosody targets."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from .errors import error_responses
from .state import ServiceDep

router = APIRouter(prefix="/v1", tags=["speech"])


class StyleEntry(BaseModel):
    name: str
    aliases: list[str]
    description: str
    pitch_st: float = Field(description="Median pitch shift at intensity 1, semitones")
    range: float = Field(description="Pitch range factor at intensity 1")
    rate: float = Field(description="Pace factor at intensity 1")
    gain_db: float = Field(description="Loudness change at intensity 1, dB")
    pause: float = Field(description="Pause length factor at intensity 1")


class StyleList(BaseModel):
    styles: list[StyleEntry]


@router.get("/styles", response_model=StyleList, responses=error_responses(401))
async def list_styles(service: ServiceDep) -> StyleList:
    """Every style a request may name in `style` (or SSML `<mstts:express-as>`); intensity scales it."""
    return StyleList(styles=[StyleEntry.model_validate(s.as_dict()) for s in service.engine.styles.styles()])
