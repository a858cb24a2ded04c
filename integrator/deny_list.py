"""The deny list: terms and regular expressions a text may not contain, read from a file.

One entry a line: a term, or ``/regex/``. ``#`` starts a comment line; blank lines are skipped.
A ``[name]`` line names the rule of the entries below it (default ``deny_list``): the name is
what a refusal reports and what ``voxflow_text_refused_total`` counts.

Matching is case-insensitive on the text normalised by NFKC (full-width ``ＡＢＣ`` and ``１２３``
read as ``abc`` and ``123``, compatibility ideographs as their unified forms), with Traditional
Chinese characters read as Simplified (``殺`` as ``杀``, by zhconv, character by character) and
invisible format characters (zero-width spaces and joiners) removed. A term of letters of a spaced script
(Latin, Greek, Cyrillic) or digits matches only as a whole word: ``ass`` does not refuse
``class``. Chinese and Japanese are written without spaces, so their terms match anywhere, and
also with up to three spaces or punctuation marks between their characters (``坏 词``, ``坏·词``).
A regex sees the same normalised text and is compiled case-insensitive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import zhconv

from tts_engine.policy import Refusal

DEFAULT_RULE = "deny_list"
# Letters and digits of scripts written with spaces between words: where a term needs word edges.
_SPACED = "0-9a-z\u00b5\u00df-\u024f\u0370-\u03ff\u0400-\u04ff"
_SPACED_CHAR = re.compile(f"[{_SPACED}]")
_GAP = r"[\W_]{0,3}"  # what may stand between two characters of a term in an unspaced script
_RULE_NAME = re.compile(r"^\[([\w.:-]+)\]$")


class DenyListError(ValueError):
    """A deny-list file that cannot be used; says which file and line."""


def normalise(text: str) -> str:
    """``text`` as the deny list reads it: NFKC, case-folded, Simplified, without format characters."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    folded = zhconv.convert(folded, "zh-hans")
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def _unspaced(ch: str) -> bool:
    return ch.isalnum() and not _SPACED_CHAR.match(ch)


def term_pattern(term: str) -> str:
    """The regex for a (normalised) plain term, following the rules in the module's docstring."""
    out: list[str] = []
    words = term.split()
    for w, word in enumerate(words):
        if w:
            out.append(r"\s+")
        for i, ch in enumerate(word):
            if i and _unspaced(word[i - 1]) and _unspaced(ch):
                out.append(_GAP)
            out.append(re.escape(ch))
    pattern = "".join(out)
    if _SPACED_CHAR.match(words[0][0]):
        pattern = f"(?<![{_SPACED}])" + pattern
    if _SPACED_CHAR.match(words[-1][-1]):
        pattern += f"(?![{_SPACED}])"
    return pattern


@dataclass(frozen=True)
class _Pattern:
    rule: str
    pattern: re.Pattern[str]
    lines: dict[str, int]  # group name -> line of the file (joined terms)
    line: int = 0  # line of the file (a regex)


class DenyList:
    """A text check (``DenyList(...)(text)`` → None or a :class:`Refusal`) built from entries.

    The plain terms of a rule are joined into one pattern, so a long list costs one pass."""

    def __init__(self, entries: list[tuple[str, int, str]], source: str = "deny list") -> None:
        """``entries``: (rule name, line number, term or ``/regex/``) in file order."""
        terms: dict[str, list[tuple[int, str]]] = {}
        self.patterns: list[_Pattern] = []
        for rule, line, entry in entries:
            regex = _regex(entry, line, source)
            if regex is not None:
                self.patterns.append(_Pattern(rule, regex, {}, line))
            else:
                terms.setdefault(rule, []).append((line, _term(entry, line, source)))
        for rule, items in terms.items():
            joined = "|".join(f"(?P<l{line}>{p})" for line, p in items)
            self.patterns.append(_Pattern(rule, re.compile(joined), {f"l{line}": line for line, _ in items}))
        self.source = source

    @classmethod
    def read(cls, path: Path) -> DenyList:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DenyListError(f"policy.deny_list: cannot read {path}: {exc}") from None
        return cls(parse(text, str(path)), str(path))

    def __call__(self, text: str) -> Refusal | None:
        folded = normalise(text)
        for p in self.patterns:
            found = p.pattern.search(folded)
            if found is not None:
                line = p.lines.get(found.lastgroup or "", p.line)
                return Refusal(p.rule, f"the text contains a denied term (deny list line {line})")
        return None


def parse(text: str, source: str = "deny list") -> list[tuple[str, int, str]]:
    """The entries of a deny-list file: (rule name, line number, entry)."""
    rule = DEFAULT_RULE
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        named = _RULE_NAME.match(line)
        if named:
            rule = named.group(1)
        else:
            entries.append((rule, number, line))
    return entries


def _regex(entry: str, line: int, source: str) -> re.Pattern[str] | None:
    """A ``/regex/`` entry compiled (case-insensitive), None for a plain term."""
    if not (len(entry) >= 2 and entry.startswith("/") and entry.endswith("/")):
        return None
    try:
        regex = re.compile(entry[1:-1], re.IGNORECASE)
    except re.error as exc:
        raise DenyListError(f"{source}, line {line}: invalid regular expression {entry}: {exc}") from None
    if regex.fullmatch(""):
        raise DenyListError(f"{source}, line {line}: {entry} matches the empty text, so every text")
    return regex


def _term(entry: str, line: int, source: str) -> str:
    term = normalise(entry)
    if not term.strip():
        raise DenyListError(f"{source}, line {line}: the term {entry!r} is empty once normalised")
    return term_pattern(term)
