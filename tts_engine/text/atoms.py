"""The front-end's working form: a stream of atoms (text with its origin) and boundary marks.

Raw text becomes one atom per character. Rewrites (lexicon, normalization, say-as) replace a
stretch of atoms with one ``fixed`` atom that keeps the original text in ``orig``, so captions
can show what was written and the splitter never cuts inside a number or a word override.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from tts_engine.prosody.tone import Tone
from tts_engine.text.chars import clean_char
from tts_engine.text.pinyin import parse_inline


class SayAs(NamedTuple):
    interpret_as: str
    format: str | None


@dataclass(slots=True)
class Atom:
    text: str  # what is spoken; a non-fixed atom holds at most one character
    orig: str  # what was written, for captions
    rate: float = 1.0
    hint: str | None = None  # xml:lang in effect
    lang: str = ""  # set by language detection
    pinyin: tuple[str | None, ...] = ()  # per character of text, empty when none
    fixed: bool = False  # final: no lexicon or normalization
    say_as: SayAs | None = None  # rendered by the normalizer of the atom's language
    tone: Tone | None = None  # SSML <mstts:express-as> and <prosody pitch range volume> in effect


@dataclass(frozen=True, slots=True)
class Mark:
    """A boundary between atoms: a sentence or paragraph end, or an SSML ``<break>``."""

    kind: Literal["sentence", "paragraph", "break"]
    ms: int = 0


Stream = list[Atom | Mark]


def char_atoms(text: str, rate: float = 1.0, hint: str | None = None, tone: Tone | None = None) -> list[Atom]:
    """One atom per character after cleaning; dropped characters stay as silent atoms so
    captions keep them, and characters NFKC expands (㎞ → km) become several atoms."""
    out: list[Atom] = []
    for ch in text.replace("\r\n", "\n"):
        cleaned = clean_char(ch)
        if len(cleaned) <= 1:
            out.append(Atom(cleaned, ch, rate, hint, tone=tone))
        else:
            out.append(Atom(cleaned[0], ch, rate, hint, tone=tone))
            out.extend(Atom(c, "", rate, hint, tone=tone) for c in cleaned[1:])
    return out


def from_text(text: str, rate: float = 1.0, hint: str | None = None, tone: Tone | None = None) -> list[Atom]:
    """Atoms for raw text, with inline ``字[zi4]`` pinyin markup turned into fixed atoms."""
    out: list[Atom] = []
    for segment, pinyin in parse_inline(text):
        if pinyin:
            out.append(Atom(segment, segment, rate, hint, pinyin=pinyin, fixed=True, tone=tone))
        else:
            out.extend(char_atoms(segment, rate, hint, tone))
    return out


Span = tuple[int, int, str, tuple[str | None, ...]]


def _free(item: Atom | Mark) -> bool:
    return isinstance(item, Atom) and not item.fixed and len(item.text) == 1


def rewrite(
    stream: Stream,
    key: Callable[[Atom], object],
    spans: Callable[[str, Atom], Iterable[Span]],
    *,
    free_text: bool = False,
) -> Stream:
    """Replace stretches of free (unfixed, one-character) atoms with fixed ones.

    Consecutive free atoms that share ``key`` form a text; ``spans(text, first_atom)`` yields
    (start, end, spoken, pinyin) for the stretches to replace. The new atom keeps the original
    text of the atoms it replaces. Marks, fixed and dropped atoms break the text.
    With ``free_text``, replacements without pinyin become free atoms again (the first one
    carrying the original text) so later rewrites, such as normalization, still apply to them.
    """
    out: Stream = []
    run: list[Atom] = []

    def flush() -> None:
        pos = 0
        if run:
            for start, end, spoken, pinyin in spans("".join(a.text for a in run), run[0]):
                out.extend(run[pos:start])
                first = run[start]
                orig = "".join(a.orig for a in run[start:end])
                if free_text and not pinyin:
                    new = char_atoms(spoken, first.rate, first.hint, first.tone)
                    for i, atom in enumerate(new):
                        atom.orig = "" if i else orig
                    out.extend(new)
                else:
                    atom = Atom(spoken, orig, first.rate, first.hint, first.lang, pinyin, fixed=True)
                    atom.tone = first.tone
                    out.append(atom)
                pos = end
        out.extend(run[pos:])
        run.clear()

    for item in stream:
        if isinstance(item, Atom) and _free(item):
            if run and key(run[-1]) != key(item):
                flush()
            run.append(item)
        else:
            flush()
            out.append(item)
    flush()
    return out
