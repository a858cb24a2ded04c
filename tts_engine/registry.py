"""Voice ids mapped to backends that load once, on first use or at warm-up."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from .backend import Backend
from .errors import UnknownVoiceError
from .types import VoiceInfo

BackendFactory = Callable[[], Backend]


class VoiceRegistry:
    """Knows every voice by id; builds and loads each backend at most once.

    Thread-safe: two requests asking for the same cold voice wait for one load.
    """

    def __init__(self, infos: Iterable[VoiceInfo], factories: dict[str, BackendFactory]) -> None:
        self._infos = {info.id: info for info in infos}
        self._factories = dict(factories)
        self._backends: dict[str, Backend] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def register(self, info: VoiceInfo, factory: BackendFactory) -> None:
        with self._lock:
            self._infos[info.id] = info
            self._factories[info.id] = factory
            self._backends.pop(info.id, None)

    def ids(self) -> list[str]:
        return list(self._infos)

    def infos(self) -> list[VoiceInfo]:
        return list(self._infos.values())

    def info(self, voice_id: str) -> VoiceInfo:
        try:
            return self._infos[voice_id]
        except KeyError:
            raise UnknownVoiceError(voice_id, self.ids()) from None

    def is_loaded(self, voice_id: str) -> bool:
        backend = self._backends.get(voice_id)
        return backend is not None and backend.loaded

    def get(self, voice_id: str) -> Backend:
        """Return the loaded backend for ``voice_id``; load it on first call."""
        self.info(voice_id)
        backend = self._backends.get(voice_id)
        if backend is not None and backend.loaded:
            return backend
        with self._lock:
            gate = self._loading.setdefault(voice_id, threading.Lock())
        with gate:
            backend = self._backends.get(voice_id)
            if backend is None:
                backend = self._factories[voice_id]()
                backend.ensure_loaded()
                self._backends[voice_id] = backend
            return backend
