"""The web page at ``/``: plain HTML and JavaScript from integrator/static/, no build step."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(str(resources.files("integrator").joinpath("static")))
# Swagger UI's script and stylesheet for /docs (from fastapi-offline): public, like the page's own.
DOCS_ASSETS = "/static/docs"
router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    # no-cache: the page is tiny, and a stale script after an upgrade would speak the old protocol
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
