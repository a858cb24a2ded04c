"""Cuts text that arrives in pieces (an LLM's tokens) into sentences as soon as each is complete."""

from __future__ import annotations

import re

# A sentence ends at one of these, plus any closing quotes or brackets after it. The character
# after the run must have arrived too: "3." may become "3.14", "?" may become "?!", "。" may be
# followed by "”". ASCII "." only ends a sentence before whitespace ("e.g.x", "3.5" do not).
_END = re.compile(
    r"""(?:[。！？!?；;…]+|\.+(?=\s))[”’"'」』）)\]]*(?=[^\s”’"'」』）)\]。！？!?；;….])"""
    r"""|(?:[。！？!?；;…]+|\.+)[”’"'」』）)\]]*\s"""
    r"""|\n"""
)
# A run this long without an end is cut at its last clause mark or space, so the voice never
# waits long for a sentence that does not end (lists, text without punctuation).
MAX_SENTENCE = 240
_SOFT = re.compile(r"[，,、：:—]|\s")


class SentenceBuffer:
    """``append`` returns the sentences completed by the new text; ``flush`` returns the rest."""

    def __init__(self, max_sentence: int = MAX_SENTENCE) -> None:
        self._text = ""
        self._max = max_sentence

    @property
    def pending(self) -> str:
        return self._text

    def append(self, text: str) -> list[str]:
        self._text += text
        out: list[str] = []
        while True:
            match = _END.search(self._text)
            if match is not None and match.end() <= self._max:
                cut = match.end()
            elif len(self._text) > self._max:
                cut = self._soft_cut()
            else:
                break
            sentence, self._text = self._text[:cut], self._text[cut:]
            if sentence.strip():
                out.append(sentence.strip())
        return out

    def _soft_cut(self) -> int:
        window = self._text[: self._max]
        marks = [m.end() for m in _SOFT.finditer(window)]
        return marks[-1] if marks and marks[-1] > self._max // 3 else self._max

    def flush(self) -> str:
        rest, self._text = self._text.strip(), ""
        return rest
