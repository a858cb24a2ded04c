"""The hand-written pronunciation sets in data/: sentences with the expected reading of chosen characters.

Each line is a sentence, a tab, then ``char=reading`` for every occurrence of each annotated
character in order (``a|b`` accepts either). Shared by the tests and bench/pinyin_accuracy.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
POLYPHONES = DATA / "polyphones.tsv"
HELD_OUT = DATA / "polyphones_heldout.tsv"
SANDHI = DATA / "sandhi.tsv"


@dataclass(frozen=True)
class Target:
    sentence: str
    index: int  # of the character in the sentence
    expected: frozenset[str]

    @property
    def char(self) -> str:
        return self.sentence[self.index]


def load(path: Path) -> list[Target]:
    targets: list[Target] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        sentence, _, notes = line.partition("\t")
        per_char: dict[str, list[frozenset[str]]] = {}
        for note in notes.split():
            char, _, reading = note.partition("=")
            per_char.setdefault(char, []).append(frozenset(reading.split("|")))
        for char, readings in per_char.items():
            positions = [i for i, ch in enumerate(sentence) if ch == char]
            if len(positions) != len(readings):
                raise ValueError(
                    f"{path.name}:{lineno}: {char} occurs {len(positions)} times, annotated {len(readings)}"
                )
            targets += [Target(sentence, i, r) for i, r in zip(positions, readings, strict=True)]
    return targets


Reader = Callable[[str], Sequence[str | None]]  # sentence → tone-numbered reading per character


def misses(targets: list[Target], read: Reader) -> list[tuple[Target, str | None]]:
    """The targets ``read`` gets wrong, with what it said."""
    out = []
    cache: dict[str, Sequence[str | None]] = {}
    for t in targets:
        if t.sentence not in cache:
            cache[t.sentence] = read(t.sentence)
        got = cache[t.sentence][t.index]
        if got not in t.expected:
            out.append((t, got))
    return out
