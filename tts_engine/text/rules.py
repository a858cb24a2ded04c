"""Rewrite rules run as one regex pass, reporting what they replaced so captions stay aligned."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

Handler = Callable[[re.Match[str]], str]


class RuleSet:
    """Ordered (pattern, handler) rules; at each position the first rule that matches wins.

    All patterns are joined into one alternation so a text is scanned once. Each pattern
    is also compiled alone: the handler gets that pattern's own match, with its own groups.
    """

    def __init__(self, rules: Sequence[tuple[str, Handler]], flags: int = 0) -> None:
        self._rules = [(re.compile(p, flags), h) for p, h in rules]
        self._all = re.compile("|".join(f"(?P<r{i}>{p})" for i, (p, _) in enumerate(rules)), flags)

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, replacement) for each rewritten stretch of ``text``, left to right."""
        for m in self._all.finditer(text):
            if m.start() == m.end():
                continue
            pattern, handler = self._rules[int(str(m.lastgroup)[1:])]
            own = pattern.match(text, m.start())
            assert own is not None and own.end() == m.end()
            yield m.start(), m.end(), handler(own)

    def apply(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        for start, end, repl in self.spans(text):
            out.append(text[pos:start])
            out.append(repl)
            pos = end
        out.append(text[pos:])
        return "".join(out)
