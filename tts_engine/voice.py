"""The one interface callers use: a voice that streams audio for text."""

from __future__ import annotations

import abc
from collections.abc import Iterator

from .types import AudioChunk, SynthesisOptions, VoiceInfo


class Voice(abc.ABC):
    """Something that speaks: ``stream`` yields audio chunks as soon as each piece is synthesized.

    Each chunk carries its sample rate and the timing of the sentence it belongs to.
    """

    info: VoiceInfo

    @abc.abstractmethod
    def stream(self, text: str, options: SynthesisOptions | None = None) -> Iterator[AudioChunk]:
        """Speak ``text`` (plain or SSML), chunk by chunk."""
