"""The audio cache: encoded audio keyed by what the engine will actually say, not the raw text.

The key hashes the plan's pieces (normalized text, language, voice of each piece, pauses,
rate changes, pinyin, the prosody targets of its style) with the output parameters, so "3 pm"
and "three pm" share an entry when the front-end normalizes them alike, and a change of speed,
rate, format, voice, style or target duration never does.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import diskcache

from tts_engine.engine import Plan

from .abc import AudioCache

# Bump when the engine's output for the same plan changes (new DSP, new codec settings).
CACHE_VERSION = 2
MB = 1024 * 1024


def cache_key(plans: Sequence[Plan], fmt: str, *, engine_tag: str = "") -> str:
    """A hex digest naming the audio that encoding ``plans`` into ``fmt`` produces."""
    if not plans:
        raise ValueError("no plans to key")
    first = plans[0]
    h = hashlib.sha256()
    head = {
        "v": CACHE_VERSION, "fmt": fmt, "rate": first.sample_rate, "voice": first.voice.id,
        "speed": first.options.speed, "engine": engine_tag,
    }
    h.update(json.dumps(head, sort_keys=True).encode())
    for i, plan in enumerate(plans):
        h.update(b"\x1e%d" % i)  # keeps the text boundaries of multi-text jobs in the key
        expression = plan.rendition.expression
        h.update(json.dumps([expression.duration_s, expression.duration_ratio]).encode())
        for route in plan.routes:
            p = route.piece
            targets = plan.rendition.targets(p.tone).as_dict()  # the style as numbers: tuning it counts
            part = [route.voice_id, p.text, p.lang, p.pause_ms, p.rate, sorted(p.pinyin.items()), targets]
            h.update(json.dumps(part, ensure_ascii=False).encode())
    return h.hexdigest()


class DiskAudioCache(AudioCache):
    """diskcache on local disk: process-safe, size-capped, least recently used entries evicted first."""

    def __init__(self, directory: Path, max_mb: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._cache = diskcache.Cache(
            str(directory), size_limit=max_mb * MB, eviction_policy="least-recently-used",
        )

    def get_to(self, key: str, dest: Path) -> bool:
        handle = self._cache.get(key, read=True)
        if handle is None:
            return False
        with handle, open(dest, "wb") as out:
            shutil.copyfileobj(handle, out)
        return True

    def put_from(self, key: str, src: Path, duration_ms: float | None = None) -> None:
        with open(src, "rb") as f:
            self._cache.set(key, f, read=True, tag=duration_ms)  # the tag travels with the entry

    def duration(self, key: str) -> float | None:
        found = self._cache.get(key, read=True, tag=True)
        if not isinstance(found, tuple) or found[0] is None:
            return None
        handle, tag = found
        handle.close()
        return float(tag) if isinstance(tag, int | float) else None

    def __len__(self) -> int:
        return len(self._cache)

    def volume(self) -> int:
        return int(self._cache.volume())

    def close(self) -> None:
        self._cache.close()


class MemoryAudioCache(AudioCache):
    """The in-memory twin: same contract, an LRU dict capped in bytes."""

    def __init__(self, max_mb: float) -> None:
        self._limit = int(max_mb * MB)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._durations: dict[str, float] = {}
        self._lock = threading.Lock()

    def get_to(self, key: str, dest: Path) -> bool:
        with self._lock:
            data = self._items.get(key)
            if data is None:
                return False
            self._items.move_to_end(key)
        dest.write_bytes(data)
        return True

    def put_from(self, key: str, src: Path, duration_ms: float | None = None) -> None:
        data = src.read_bytes()
        with self._lock:
            self._items[key] = data
            if duration_ms is None:
                self._durations.pop(key, None)
            else:
                self._durations[key] = duration_ms
            self._items.move_to_end(key)
            while self._items and sum(map(len, self._items.values())) > self._limit:
                self._items.popitem(last=False)

    def duration(self, key: str) -> float | None:
        with self._lock:
            return self._durations.get(key) if key in self._items else None

    def __len__(self) -> int:
        return len(self._items)

    def volume(self) -> int:
        with self._lock:
            return sum(map(len, self._items.values()))
