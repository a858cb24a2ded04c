"""User pronunciation lexicon: pinyin for Chinese words and text substitutions.

File format (UTF-8), one entry per line; ``#`` at the start of a line or after a space starts
a comment (so ``C# = C sharp`` still works)::

    长大  zhang3 da4        # a Chinese word and one syllable per Han character
    Voxflow = vox flow      # a substitution; its numbers are read like the rest of the text
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tts_engine.errors import InvalidOptionError
from tts_engine.text.pinyin import parse_syllables, spread

_COMMENT = re.compile(r"(^|\s)#.*")


@dataclass(frozen=True)
class LexiconMatch:
    start: int
    end: int
    text: str  # the replacement, or the matched word itself
    pinyin: tuple[str | None, ...]  # per character of text for pinyin entries, else ()


def _word_pattern(word: str) -> str:
    """Latin words match whole words only; all-lower-case ones match any case."""
    pattern = re.escape(word)
    if re.match(r"[A-Za-z0-9]", word):
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if re.search(r"[A-Za-z0-9]$", word):
        pattern += r"(?![A-Za-z0-9])"
    return pattern if word != word.lower() else f"(?i:{pattern})"


class Lexicon:
    """Longest match first, applied to the input before normalization."""

    def __init__(
        self,
        pinyin: Mapping[str, tuple[str | None, ...]] | None = None,
        substitutions: Mapping[str, str] | None = None,
    ) -> None:
        self._pinyin = dict(pinyin or {})
        self._subs = dict(substitutions or {})
        words = sorted({*self._pinyin, *self._subs}, key=len, reverse=True)
        self._pattern = re.compile("|".join(_word_pattern(w) for w in words)) if words else None
        self._folded = {w.lower(): w for w in words if w == w.lower()}

    @classmethod
    def from_entries(
        cls, *, pinyin: Mapping[str, str] | None = None, substitutions: Mapping[str, str] | None = None
    ) -> Lexicon:
        """``pinyin={"长大": "zhang3 da4"}``, ``substitutions={"SQL": "sequel"}``; raises
        InvalidOptionError for bad syllables or a syllable count that differs from the Han count."""
        spread_pinyin = {w: spread(w, parse_syllables(p)) for w, p in (pinyin or {}).items()}
        for word, replacement in (substitutions or {}).items():
            if not word.strip() or not replacement.strip():
                raise InvalidOptionError(f"lexicon substitution {word!r} = {replacement!r} has an empty side")
        return cls(spread_pinyin, substitutions)

    @classmethod
    def parse(cls, text: str, source: str = "<lexicon>") -> Lexicon:
        pinyin: dict[str, str] = {}
        subs: dict[str, str] = {}
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = _COMMENT.sub("", raw).strip()
            if not line:
                continue
            try:
                if "=" in line:
                    word, _, replacement = (s.strip() for s in line.partition("="))
                    cls.from_entries(substitutions={word: replacement})
                    subs[word] = replacement
                else:
                    word, *rest = line.split(None, 1)
                    syllables = rest[0] if rest else ""
                    if not syllables:
                        raise InvalidOptionError("expected 'word pinyin syllables' or 'word = replacement'")
                    cls.from_entries(pinyin={word: syllables})
                    pinyin[word] = syllables
            except InvalidOptionError as e:
                raise InvalidOptionError(f"{source}, line {lineno}: {e}") from None
        return cls.from_entries(pinyin=pinyin, substitutions=subs)

    @classmethod
    def load(cls, path: str | Path) -> Lexicon:
        """Read a lexicon file; errors name the file and the line."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InvalidOptionError(f"cannot read lexicon {path}: {e}") from None
        return cls.parse(text, source=str(path))

    def __len__(self) -> int:
        return len(self._pinyin) + len(self._subs)

    def pinyin(self, word: str) -> tuple[str | None, ...] | None:
        """The pinyin entry for exactly ``word``, or None."""
        return self._pinyin.get(word)

    def matches(self, text: str) -> list[LexiconMatch]:
        """Non-overlapping entries found in ``text``, left to right, the longest at each position."""
        if self._pattern is None:
            return []
        out = []
        for m in self._pattern.finditer(text):
            found = m.group()
            word = found if found in self._pinyin or found in self._subs else self._folded[found.lower()]
            if word in self._pinyin:
                out.append(LexiconMatch(m.start(), m.end(), found, self._pinyin[word]))
            else:
                out.append(LexiconMatch(m.start(), m.end(), self._subs[word], ()))
        return out
