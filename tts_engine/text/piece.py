"""The front-end's output: speakable pieces of text, each for one language."""

from __future__ import annotations

from dataclasses import dataclass, field

from tts_engine.prosody.tone import Tone


@dataclass(frozen=True)
class Piece:
    """One unit of synthesis: a clause or sentence in one language, already normalized.

    ``text`` is what the backend speaks (numbers spelled out, SSML removed).
    ``pinyin`` holds tone-numbered pinyin overrides (``"chong2"``) keyed by the
    index of the Han character in ``text`` they apply to; backends that take
    pinyin use them, the others receive a homophone (see ``text.pinyin``).
    ``pause_ms`` is silence to add after the piece (sentence end, ``<break>``).
    ``rate`` multiplies the request's speed (``<prosody rate>``).
    ``sentence`` counts sentences from 0 across the whole input; pieces of one
    sentence share it. ``display`` is the original text of the piece for
    progress reports and captions. ``tone`` is what SSML asks of its delivery
    (``<mstts:express-as>``, ``<prosody pitch range volume>``), None for nothing.
    ``whole_chars`` is the length of the sentence (its
    run in this language) the piece was cut from, 0 when the piece is all of it: a
    model whose speaking style follows the utterance's length (Kokoro) takes the
    style of the whole sentence for each of its parts.
    """

    text: str
    lang: str
    sentence: int = 0
    pause_ms: int = 0
    rate: float = 1.0
    pinyin: dict[int, str] = field(default_factory=dict)
    display: str = ""
    tone: Tone | None = None
    whole_chars: int = 0

    def __post_init__(self) -> None:
        if not self.display:
            object.__setattr__(self, "display", self.text)

    @property
    def is_silence(self) -> bool:
        return not self.text.strip()
