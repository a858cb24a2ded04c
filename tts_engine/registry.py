"""Voice ids mapped to backends that load once, on first use or at warm-up."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from .backend import Backend
from .errors import UnknownVoiceError
from .types import VoiceInfo
from .voice_mix import is_mix

BackendFactory = Callable[[], Backend]
# Makes a voice mix asked for by a request (tts_engine.voice_mix): its info and backend factory.
MixResolver = Callable[[str], tuple[VoiceInfo, BackendFactory]]
MAX_ADHOC_MIXES = 16  # mixes written in requests kept made (each holds its style table)


class VoiceRegistry:
    """Knows every voice by id; builds and loads each backend at most once.

    A voice written as a mix (``zh-kokoro-kumo*0.7+zh-kokoro-alpha*0.3``) that is not a
    configured one is made by ``resolve_mix`` on first use and kept among the last
    MAX_ADHOC_MIXES such mixes; it is not listed by :meth:`ids`.

    Thread-safe: two requests asking for the same cold voice wait for one load.
    """

    def __init__(
        self,
        infos: Iterable[VoiceInfo],
        factories: dict[str, BackendFactory],
        *,
        resolve_mix: MixResolver | None = None,
    ) -> None:
        self._infos = {info.id: info for info in infos}
        self._factories = dict(factories)
        self._backends: dict[str, Backend] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._resolve_mix = resolve_mix
        self._adhoc: OrderedDict[str, VoiceInfo] = OrderedDict()  # as written -> the mix's info

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
        """The voice ``voice_id`` names: a listed one, or a mix (made now if new: raises
        VoiceMixError when it cannot be). Unknown: UnknownVoiceError listing the ids."""
        found = self._infos.get(voice_id)
        if found is not None:
            return found
        if self._resolve_mix is None or not is_mix(voice_id):
            raise UnknownVoiceError(voice_id, self.ids())
        with self._lock:
            if voice_id in self._adhoc:
                self._adhoc.move_to_end(voice_id)
                return self._adhoc[voice_id]
        info, factory = self._resolve_mix(voice_id)
        with self._lock:
            same = next((i for i in self._adhoc.values() if i.id == info.id), None)
            if same is None:  # a new mix, not one written another way
                self._factories[info.id] = factory
            self._adhoc[voice_id] = same or info
            while len(self._adhoc) > MAX_ADHOC_MIXES:
                _, old = self._adhoc.popitem(last=False)
                if old.id not in self._infos and all(i.id != old.id for i in self._adhoc.values()):
                    self._factories.pop(old.id, None)
                    self._backends.pop(old.id, None)
            return same or info

    def is_loaded(self, voice_id: str) -> bool:
        backend = self._backends.get(voice_id)
        return backend is not None and backend.loaded

    def get(self, voice_id: str) -> Backend:
        """Return the loaded backend for ``voice_id``; load it on first call."""
        voice_id = self.info(voice_id).id
        backend = self._backends.get(voice_id)
        if backend is not None and backend.loaded:
            return backend
        with self._lock:
            gate = self._loading.setdefault(voice_id, threading.Lock())
            factory = self._factories.get(voice_id)
        if factory is None and self._resolve_mix is not None:  # a mix let go of since info()
            factory = self._resolve_mix(voice_id)[1]
        if factory is None:
            raise UnknownVoiceError(voice_id, self.ids())
        with gate:
            backend = self._backends.get(voice_id)
            if backend is None:
                backend = factory()
                backend.ensure_loaded()
                self._backends[voice_id] = backend
            return backend
