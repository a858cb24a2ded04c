"""``manifest.json`` in the output directory: what each chapter was made from and what came out.

A chapter is kept on a restart when its key (the hash of its text and of every setting that
changes its audio) is unchanged and its file still has the recorded SHA-256; anything else is
made again. The manifest is rewritten (temp file, then rename) after every chapter, so a crash
loses at most the chapter in progress; a run that stops early also records ``resume_from``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from integrator.jobs.artifacts import file_sha256

NAME = "manifest.json"
VERSION = 1


@dataclass
class ChapterEntry:
    index: int
    title: str
    key: str
    characters: int
    status: str  # done | skipped
    file: str | None = None
    sha256: str | None = None
    duration_ms: float = 0.0
    note: str | None = None


@dataclass
class Manifest:
    title: str
    settings: dict[str, Any]
    chapters: list[ChapterEntry] = field(default_factory=list)
    book: str | None = None
    complete: bool = False
    # Set when a run stopped early (a signal, an error): the chapter the next run starts making.
    resume_from: int | None = None
    version: int = VERSION

    @classmethod
    def load(cls, directory: Path) -> Manifest | None:
        try:
            data = json.loads((directory / NAME).read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                return None
            chapters = [ChapterEntry(**c) for c in data.pop("chapters")]
            return cls(**data, chapters=chapters)
        except (OSError, ValueError, TypeError, KeyError):
            return None  # missing or unreadable: start afresh (finished files are checked by hash)

    def save(self, directory: Path) -> None:
        tmp = directory / f".{NAME}.part"
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, directory / NAME)

    def kept(self, key: str, directory: Path) -> ChapterEntry | None:
        """The finished entry for ``key`` whose file is intact, if any."""
        for entry in self.chapters:
            if entry.key == key and entry.status == "done" and entry.file and entry.sha256:
                path = directory / entry.file
                if path.is_file() and file_sha256(path) == entry.sha256:
                    return entry
        return None


def chapter_key(text: str, settings: dict[str, Any]) -> str:
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    h.update(text.encode())
    return h.hexdigest()

