"""Which lines of a plain-text book are chapter headings, in English and Chinese.

A heading is a line of its own, blank lines around it or not: web novels put ``第一章 出发``
straight above the text, and Project Gutenberg books put ``CHAPTER TWO`` above it too. Since the
text around it says nothing, the line itself must have the shape of a heading: a chapter word and
a number (``Chapter 2``, ``CHAPTER IV. The Storm``, ``Part Two: Home``, ``第十二回 …``) or a word
that is a heading alone (``Prologue``, ``楔子``), then at most a short title that does not read
on like a sentence (``Chapter 3 was the hardest`` is prose). A line in the middle of a wrapped
paragraph (the line before it runs on without closing punctuation) is never a heading.
"""

from __future__ import annotations

import re
import unicodedata

_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ORDINALS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|last|final"
_WORDS = rf"(?i:(?:{_TENS})(?:[- ](?:{_UNITS}))?|{_TEENS}|{_UNITS}|(?:one )?hundred|{_ORDINALS})"
_ROMAN = r"(?=[IVXLCDM])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_NUMBER = rf"(?:\d{{1,4}}|{_ROMAN}|{_ROMAN.lower()}|{_WORDS})"
_NUMBERED = r"(?:Chapter|CHAPTER|Part|PART|Book|BOOK|Volume|VOLUME|Act|ACT)"
_ALONE = (
    r"(?:Prologue|PROLOGUE|Epilogue|EPILOGUE|Preface|PREFACE|Foreword|FOREWORD|Introduction|INTRODUCTION"
    r"|Afterword|AFTERWORD|Interlude|INTERLUDE|Conclusion|CONCLUSION|Appendix|APPENDIX)"
)
# The keyword and its number, then: nothing; a separator and a title; or a space and a capitalised title.
ENGLISH = re.compile(
    rf"^(?P<head>{_NUMBERED}\s+{_NUMBER}|{_ALONE})\b"
    r"(?:\s*[.:—–-]\s*(?P<title>.*)|\s+(?P<capital>[\"'“‘(\[A-Z0-9].*))?$"
)
# A table of contents' own heading: dropped with the list under it (see text.py).
CONTENTS = re.compile(r"^(?P<head>(?i:contents|table of contents)|目录|目錄)$")
_CN_NUMBER = r"[0-9０-９一二三四五六七八九十百千零〇两]{1,8}"
_CN_ALONE = r"(?:序章|序言|序幕|楔子|引子|尾声|后记|後記|终章|終章|番外[0-9一二三四五六七八九十]*)"
CHINESE = re.compile(
    rf"^(?P<head>第{_CN_NUMBER}[章回节節卷部篇集幕]|{_CN_ALONE})"
    r"(?:[\s:：、.·—-]+(?P<title>.*))?$"
)
MAX_TITLE_WORDS = 10
MAX_TITLE_CHARS = 60
MAX_LINE = 90
WRAPPED_WIDTH = 40  # columns: a longer line without closing punctuation runs on into the next
# Closing punctuation: a line ending with it does not run on into the next.
_CLOSED = tuple(".!?。！？…\"'”’」』)）]:：*_~")
_PROSE = re.compile(r"[，。；,;]")  # a title with these reads on like a sentence


def is_heading(line: str, previous: str = "") -> bool:
    """Whether ``line`` starts a chapter; ``previous`` is the line above it."""
    return heading_key(line) is not None and not _runs_on(previous)


def heading_key(line: str) -> str | None:
    """The chapter word and number of a heading-shaped line (``chapter iv``, ``第十二回``), else None."""
    line = line.strip()
    if not 0 < len(line) <= MAX_LINE:
        return None
    m = ENGLISH.match(line) or CHINESE.match(line) or CONTENTS.match(line)
    if m is None:
        return None
    title = (m.groupdict().get("title") or m.groupdict().get("capital") or "").strip()
    if title and (
        len(title) > MAX_TITLE_CHARS
        or len(title.split()) > MAX_TITLE_WORDS
        or _PROSE.search(title.rstrip(".!?。！？"))
    ):
        return None
    return " ".join(m.group("head").lower().split())


def _runs_on(line: str) -> bool:
    """A long line without closing punctuation: the middle of a wrapped paragraph."""
    line = line.strip()
    if not line or line.endswith(_CLOSED) or heading_key(line) is not None:
        return False
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) >= WRAPPED_WIDTH
