"""Cutting the normalized atom stream into pieces: sentences, then clauses, then words.

A piece never mixes languages or speaking rates and is never cut inside an atom, so numbers
and pinyin-overridden words stay whole. A model speaks a sentence best in one call, so pieces
are whole sentences up to the longest the model takes; only the first sentence is cut, at a
clause boundary, so the first audio comes fast, and a clause is cut between words only when
it is longer than the model takes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from tts_engine.text.atoms import Atom, Mark, Stream
from tts_engine.text.chars import is_speakable
from tts_engine.text.piece import Piece
from tts_engine.text.words import jieba

SENTENCE_END = frozenset("。！？!?；;")
CLAUSE_END = frozenset("，、,：:—…–")
_CLOSERS = frozenset("”’\"')]}」』》）】")
_SENTENCE_TAIL = SENTENCE_END | _CLOSERS | {"."}  # what may follow a sentence end inside it
# Words before a period that do not end a sentence (normally expanded already by normalize_en).
_TITLES = frozenset({"Dr", "Mr", "Mrs", "Ms", "Prof", "St", "vs", "etc", "e.g", "i.e", "No"})

PAUSE_MS = {"sentence": 350, "paragraph": 600, "clause": 150, "forced": 0}
# Languages written without spaces whose words we cannot find: any character boundary will do.
# (Chinese uses jieba's word boundaries.)
_SPACELESS = frozenset({"ja"})
# Letters per unit of the limits, which count Chinese characters: an English piece of the "same"
# size holds a little less speech, so its first piece stays quick to synthesize.
_LETTERS_PER_SYLLABLE = {"zh": 1, "ja": 1, "ko": 1}
_DEFAULT_LETTERS = 2
_WINDOW_ATOMS = 1024  # far more than any piece needs; bounds each cut's work on huge inputs
_WINDOW_SLACK = 16
_MIN_SHARE = 0.5  # a clause cut within the budget must leave at least this share of it
_GROWTH = 2  # a piece may be this many times as long as all said before it (see _Budget)


@dataclass
class _Draft:
    atoms: list[Atom]
    sentence: int
    pause: int = 0
    explicit: bool = False  # pause comes from <break> and wins over the natural one
    whole: int = 0  # characters of the run it was cut from, when it is only part of one


@dataclass
class _Sentence:
    items: list[Atom | int] = field(default_factory=list)  # an int is a <break> in ms
    end: str = "sentence"


def _last_char(atom: Atom) -> str:
    return atom.text[-1] if atom.text else ""


def _ends_at_period(stream: Stream, i: int) -> bool:
    """A period ends a sentence before a space or the end, unless it follows a title or an initial."""
    atom = stream[i]
    assert isinstance(atom, Atom)
    nxt = stream[i + 1] if i + 1 < len(stream) else None
    if isinstance(nxt, Atom) and nxt.text and not nxt.text[0].isspace() and nxt.text[0] not in _CLOSERS:
        return False
    if atom.fixed:
        return True
    word = ""
    for j in range(i - 1, -1, -1):
        prev = stream[j]
        if not isinstance(prev, Atom) or prev.fixed or not (prev.text.isalpha() or prev.text == "."):
            break
        word = prev.text + word
    initials = re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word) and (len(word) > 1 or word.isupper())
    return not (word in _TITLES or initials)


def _has_text(items: list[Atom | int]) -> bool:
    return any(isinstance(a, Atom) and a.text.strip() for a in items)


def _sentences(stream: Stream) -> list[_Sentence]:
    """Sentences with their breaks; a boundary with nothing before it strengthens the previous one."""
    done: list[_Sentence] = []
    current = _Sentence()

    def close(kind: str) -> None:
        nonlocal current
        if _has_text(current.items):
            current.end = kind
            done.append(current)
            current = _Sentence()
        elif done and kind == "paragraph":
            done[-1].end = kind

    newlines = 0
    i = 0
    while i < len(stream):
        item = stream[i]
        i += 1
        if isinstance(item, Mark):
            if item.kind == "break":
                current.items.append(item.ms)
            else:
                close(item.kind)
            continue
        if item.text == "\n" and not item.fixed:
            newlines += 1
            continue
        if newlines and item.text.strip():
            close("paragraph" if newlines > 1 else "sentence")
            newlines = 0
        current.items.append(item)
        last = _last_char(item)
        if last in SENTENCE_END or (last == "." and _ends_at_period(stream, i - 1)):
            while i < len(stream) and isinstance(stream[i], Atom):
                nxt = stream[i]
                assert isinstance(nxt, Atom)
                if _last_char(nxt) not in _SENTENCE_TAIL:
                    break
                current.items.append(nxt)
                i += 1
            close("sentence")
    if newlines > 1:
        close("paragraph")
    done.append(current)
    return done


def _jieba_bounds(text: str) -> frozenset[int]:
    bounds, pos = set(), 0
    for word in jieba().cut(text):
        pos += len(word)
        bounds.add(pos)
    return frozenset(bounds)


def _speakable(atom: Atom) -> bool:
    return any(is_speakable(c) for c in atom.text)


def _cut_point(atoms: list[Atom], lang: str, budget: int, limit: int, whole: bool) -> tuple[int, str] | None:
    """Where to end the next piece, which should be about ``budget`` long and must stay within
    ``limit``, the longest the model speaks well. In order of preference:

    1. the last clause boundary within ``budget`` that leaves at least _MIN_SHARE of it;
    2. the first clause boundary beyond it within ``limit`` (or, when ``whole`` says everything
       left fits the limit, the end: None): a clause is spoken whole, however long;
    3. any clause boundary within ``budget`` (a short heading before a clause too long to join);
    4. the last word boundary within ``limit``, for a clause longer than the model takes;
    5. the nearest word boundary beyond, for a word longer than that.
    None when there is no boundary at all.

    Cutting inside a clause costs intelligibility (a model reads each piece as a phrase of its
    own), so it happens only when a clause will not fit the model. Only a window a little past
    ``limit`` is examined, so cutting a long text stays linear.
    """
    ends, pos = [], 0
    for a in atoms:
        pos += len(a.text)
        ends.append(pos)
        if pos > 2 * limit + _WINDOW_SLACK and len(ends) > 1:
            break
    window = len(ends)
    text = "".join(a.text for a in atoms[:window])
    lead = len(text) - len(text.lstrip())
    words = _jieba_bounds(text) if lang == "zh" else frozenset()
    speakable_after = [any(_speakable(a) for a in atoms[window:])] * (window + 1)
    for k in range(window - 1, -1, -1):
        speakable_after[k] = speakable_after[k + 1] or _speakable(atoms[k])
    clauses: list[tuple[int, int]] = []  # (cut before atom k, size of the piece it leaves)
    forced: list[tuple[int, int]] = []
    seen_speakable = False
    for k in range(1, window + (window < len(atoms))):
        seen_speakable = seen_speakable or _speakable(atoms[k - 1])
        if not seen_speakable or not speakable_after[k]:
            continue
        before, after = atoms[k - 1].text, atoms[k].text
        if before and before[-1] in CLAUSE_END and after[:1] not in CLAUSE_END:
            # a clause mark costs no speaking time, so "Good morning," fits in 12
            clauses.append((k, ends[k - 1] - lead - 1))
        elif (before.isspace() or after.isspace() or lang in _SPACELESS or ends[k - 1] in words) and not (
            after[:1] in CLAUSE_END or after[:1] in SENTENCE_END
        ):
            forced.append((k, ends[k - 1] - lead))
        else:
            continue
        if ends[k - 1] - lead > limit:
            break
    full = [k for k, size in clauses if _MIN_SHARE * budget <= size <= budget]
    if full:
        return full[-1], "clause"
    beyond = [k for k, size in clauses if budget < size <= limit]
    if beyond:
        return beyond[0], "clause"
    if whole:
        return None
    short = [k for k, size in clauses if size <= budget]
    if short:
        return short[-1], "clause"
    fits = [k for k, size in forced if size <= limit]
    if fits:
        return fits[-1], "forced"
    return (forced[0][0], "forced") if forced else None


class _Budget:
    """How long the next piece may be: ``first``, then ``first`` plus twice what was already
    said, up to ``limit`` (12, 36, 108 when every piece fills its budget).

    A piece then plays for at most about twice as long as everything before it, so its
    synthesis ends before the audio ahead of it runs out as long as each stream is made at
    least twice as fast as real time (what the default voices do, and what admission limits
    keep them at with many streams on one voice). Sizes count syllables: a Latin letter is
    half of one."""

    def __init__(self, first: int, limit: int) -> None:
        self.first, self.limit, self.said = first, limit, 0.0

    def next(self, lang: str) -> int:
        size = min(self.limit, self.first + math.ceil(_GROWTH * self.said))
        return size * _letters(lang)

    def used(self, atoms: list[Atom], lang: str) -> None:
        self.said += len("".join(a.text for a in atoms).strip()) / _letters(lang)


def _letters(lang: str) -> int:
    return _LETTERS_PER_SYLLABLE.get(lang, _DEFAULT_LETTERS)


def _cut(atoms: list[Atom], lang: str, budgets: _Budget) -> list[tuple[list[Atom], str]]:
    """The atoms as pieces about as long as the growing budget, cut at clause boundaries where
    they can be (see _cut_point), each with the kind of cut that ends it ("" for the last)."""
    out: list[tuple[list[Atom], str]] = []
    budget, limit = budgets.next(lang), budgets.limit * _letters(lang)
    start = 0
    remaining = len("".join(a.text for a in atoms).strip())
    while remaining > budget:
        point = _cut_point(atoms[start : start + _WINDOW_ATOMS], lang, budget, limit, remaining <= limit)
        if point is None:
            break
        k, kind = point
        out.append((atoms[start : start + k], kind))
        remaining -= sum(len(a.text) for a in atoms[start : start + k])
        budgets.used(atoms[start : start + k], lang)
        start += k
        budget = budgets.next(lang)
    out.append((atoms[start:], ""))
    budgets.used(atoms[start:], lang)
    return out


def _segments(items: list[Atom | int]) -> Iterator[tuple[list[Atom], int | None]]:
    """Runs of one language and rate, each with the <break> that ends it (None for none).
    Spaces and dropped characters never start a run of their own."""
    run: list[Atom] = []
    key: tuple[object, ...] | None = None
    for item in items:
        if isinstance(item, int):
            yield run, item
            run, key = [], None
            continue
        if item.text.strip():
            if key is not None and (item.lang, item.rate, item.tone) != key:
                yield run, None
                run = []
            key = (item.lang, item.rate, item.tone)
        run.append(item)
    yield run, None


def _voice_of(atoms: list[Atom]) -> Atom:
    """The atom whose language and rate a piece takes: its first speakable one."""
    return next(a for a in atoms if any(is_speakable(c) for c in a.text))


def _drafts(stream: Stream, first_chars: int, max_chars: int) -> tuple[list[_Draft], int]:
    """Speakable pieces before clean-up, and the silence (from <break>) that precedes any speech."""
    drafts: list[_Draft] = []
    leading = 0
    budgets = _Budget(first_chars, max_chars)
    for index, sentence in enumerate(_sentences(stream)):
        start = len(drafts)
        pending: list[Atom] = []  # punctuation waiting for the sentence's first words
        for atoms, brk in _segments(sentence.items):
            if any(is_speakable(c) for a in atoms for c in a.text):
                run = pending + atoms
                parts = _cut(run, _voice_of(atoms).lang, budgets)
                whole = len("".join(a.text for a in run).strip()) if len(parts) > 1 else 0
                for part, kind in parts:
                    pause = PAUSE_MS[kind] if kind else 0
                    if not kind and part[-1].text.strip()[-1:] in CLAUSE_END:
                        pause = PAUSE_MS["clause"]
                    drafts.append(_Draft(part, index, pause, whole=whole))
                pending = []
            elif len(drafts) > start:
                drafts[-1].atoms.extend(atoms)  # trailing punctuation of the sentence
            else:
                pending.extend(atoms)
            if brk is not None:
                if not drafts:
                    leading += brk
                elif drafts[-1].explicit:
                    drafts[-1].pause += brk
                else:
                    drafts[-1].pause, drafts[-1].explicit = brk, True
        if drafts and not drafts[-1].explicit:
            natural = PAUSE_MS[sentence.end]
            # a sentence with nothing to say still marks its boundary on the piece before
            drafts[-1].pause = natural if len(drafts) > start else max(drafts[-1].pause, natural)
    return drafts, leading


def _piece(draft: _Draft, sentence: int) -> Piece:
    chars: list[str] = []
    pinyin: dict[int, str] = {}
    for atom in draft.atoms:
        for j, ch in enumerate(atom.text):
            if ch.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                continue
            if atom.pinyin and atom.pinyin[j]:
                pinyin[len(chars)] = str(atom.pinyin[j])
            chars.append(ch)
    text = "".join(chars).rstrip()
    display = re.sub(r"\s+", " ", "".join(a.orig for a in draft.atoms))
    voice = _voice_of(draft.atoms)
    return Piece(
        text, voice.lang, sentence, draft.pause, voice.rate, pinyin, display,
        tone=voice.tone, whole_chars=draft.whole,
    )


def split(stream: Stream, first_piece_chars: int = 12, max_piece_chars: int = 80) -> list[Piece]:
    """Pieces in speaking order. A ``<break>`` before any speech becomes a silent piece (text "")."""
    drafts, leading = _drafts(stream, first_piece_chars, max_piece_chars)
    if drafts and not drafts[-1].explicit:
        drafts[-1].pause = 0  # nothing follows: the engine should not pad the end
    numbers: dict[int, int] = {}  # sentences left empty are skipped in the numbering
    pieces = [_piece(d, numbers.setdefault(d.sentence, len(numbers))) for d in drafts]
    # displays keep the spaces between pieces so a sentence's caption is their concatenation
    for i, p in enumerate(pieces):
        first = i == 0 or pieces[i - 1].sentence != p.sentence
        last = i == len(pieces) - 1 or pieces[i + 1].sentence != p.sentence
        display = p.display.lstrip() if first else p.display
        pieces[i] = replace(p, display=display.rstrip() if last else display)
    if leading:
        lang = pieces[0].lang if pieces else "und"
        pieces.insert(0, Piece("", lang, 0, leading))
    return pieces
