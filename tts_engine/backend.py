"""The interface every voice backend implements: load once, turn one piece into audio."""

from __future__ import annotations

import abc
import threading

import numpy as np

from .prosody.controls import Controls
from .text.piece import Piece
from .turns import Turns
from .types import VoiceInfo


class Backend(abc.ABC):
    """A speech model behind one voice id.

    Implementations load their model in :meth:`load` (called once, by the
    registry) and synthesize one piece per :meth:`synthesize` call. The engine
    calls :meth:`synthesize` holding a turn of :attr:`turns`, so at most
    :attr:`slots` calls run at once and a backend need only be safe for that
    many. Voices sharing one model share one ``turns``.
    """

    info: VoiceInfo
    #: How many synthesize() calls may run at once. One for a model whose run already uses
    #: every core: overlapping runs from many streams would only oversubscribe the CPU.
    slots: int = 1
    #: True when synthesize() honours Piece.pinyin itself.
    takes_pinyin: bool = False
    #: True when synthesize() changes pace natively; otherwise the engine time-stretches.
    native_speed: bool = True
    #: Fields of prosody.Controls this backend realises in its model (pitch_st, range); the engine
    #: reaches the others by signal processing.
    controls: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.turns = Turns(self.slots)
        self._load_lock = threading.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def ensure_loaded(self) -> None:
        with self._load_lock:
            if not self._loaded:
                self.load()
                self._loaded = True

    @abc.abstractmethod
    def load(self) -> None:
        """Load the model. Raise VoiceUnavailableError saying what is missing when it cannot."""

    @abc.abstractmethod
    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        """Speak one piece; return mono float32 samples at ``info.sample_rate``.

        ``speed`` is a pace multiplier (1.0 natural, 2.0 twice as fast).
        """

    def synthesize_with(self, piece: Piece, speed: float, controls: Controls) -> np.ndarray:
        """:meth:`synthesize` with prosody ``controls``; only fields named in :attr:`controls` are
        ever set. Backends that list some override this."""
        return self.synthesize(piece, speed)
