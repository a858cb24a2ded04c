"""Acronyms inside Chinese (OKR, PPT, Q3, 5G) are spoken letter by letter by the Chinese voice.

Language detection makes every Latin run English, so 我们的OKR would switch voices (or languages)
for three letters. Chinese speakers say the letters inside their sentence and read the digits
of such a token in Chinese (Q3 → Q三, GPT-4 → GPT四, 5G → 五G), so an acronym that borders
Chinese becomes a fixed Chinese atom holding its letters; the backends read Latin letters in a
Chinese piece as letter names. Real words (Python, iPhone, Zoom) stay English.
"""

from __future__ import annotations

import re

from tts_engine.text.atoms import Atom, Stream
from tts_engine.text.normalize_zh import cardinal

# Capitals with digits in front, behind or after a hyphen: OKR, Q3, 5G, GPT-4, B2B, MP3, H100.
_ACRONYM = re.compile(r"(?=[A-Z0-9-]*[A-Z])\d*[A-Z]+(?:-?\d+[A-Z]*)*")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")
_MAX_LETTERS = 5  # longer capitals are rarely spelled out
# Capitals said as words, not letters.
_WORDS = frozenset(
    "NASA COVID OPEC NATO ASEAN FIFA UNESCO UNICEF AIDS SARS LASER RADAR NASDAQ IKEA LEGO ZARA "
    "PIN GIF JPEG RAM ROM ZIP".split()
)


# Letter names in Mandarin syllables, as Chinese speakers say them. Whisper heard OKR, KPI, PPT,
# API, HR and CEO from Kokoro reading these where it heard OK, GBi, BBD, FBI from English letter names.
LETTER_PINYIN: dict[str, tuple[str, ...]] = {
    "A": ("ei1",), "B": ("bi4",), "C": ("xi1",), "D": ("di4",), "E": ("yi1",), "F": ("ai4", "fu5"),
    "G": ("ji4",), "H": ("ei1", "chi3"), "I": ("ai4",), "J": ("jie1",), "K": ("kei1",),
    "L": ("ai4", "le5"), "M": ("ai4", "mu5"), "N": ("en1",), "O": ("ou1",), "P": ("pi1",),
    "Q": ("qiu1",), "R": ("a1", "er3"), "S": ("ai4", "si5"), "T": ("ti1",), "U": ("you1",),
    "V": ("wei1",), "W": ("da2", "bu5", "liu5"), "X": ("ai4", "ke4", "si5"), "Y": ("wai1",), "Z": ("zei4",),
}  # fmt: skip


def is_acronym(token: str) -> bool:
    """``OKR``, ``Q3``, ``5G``, ``GPT-4``: capitals (at most five) spelled letter by letter."""
    letters = sum(ch.isalpha() for ch in token)
    return (
        bool(_ACRONYM.fullmatch(token))
        and letters <= _MAX_LETTERS
        and token.strip("-0123456789") not in _WORDS
    )


def spoken(token: str) -> str:
    """The acronym as the Chinese voice reads it: letters kept, numbers in Chinese."""
    return re.sub(r"-?(\d+)", lambda m: cardinal(m.group(1)), token)


def _free_en(item: Atom | object) -> bool:
    return isinstance(item, Atom) and item.lang == "en" and not item.fixed and len(item.text) <= 1


def _neighbour_lang(stream: Stream, i: int, step: int) -> str | None:
    """The language of the nearest atom with something to say, from ``i`` in direction ``step``."""
    while 0 <= i < len(stream):
        item = stream[i]
        if not isinstance(item, Atom):
            return None
        if item.text.strip():
            return item.lang
        i += step
    return None


def read_in_chinese(stream: Stream) -> Stream:
    """``stream`` with each English run made only of acronyms that borders Chinese turned
    Chinese, its acronyms fixed atoms. Runs with an explicit language (SSML) stay as they are."""
    out: Stream = []
    i = 0
    while i < len(stream):
        if not _free_en(stream[i]):
            out.append(stream[i])
            i += 1
            continue
        j = i
        while j < len(stream) and _free_en(stream[j]):
            j += 1
        run = [a for a in stream[i:j] if isinstance(a, Atom)]
        out += _chinese_run(run) if _borders_chinese(stream, i, j, run) else run
        i = j
    return out


def _borders_chinese(stream: Stream, i: int, j: int, run: list[Atom]) -> bool:
    text = "".join(a.text for a in run)
    tokens = _TOKEN.findall(text)
    if not tokens or any(a.hint for a in run) or not all(is_acronym(t) for t in tokens):
        return False
    return "zh" in (_neighbour_lang(stream, i - 1, -1), _neighbour_lang(stream, j, 1))


def _chinese_run(run: list[Atom]) -> list[Atom]:
    text = "".join(a.text for a in run)
    out: list[Atom] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        for atom in run[pos : m.start()]:
            atom.lang = "zh"
            out.append(atom)
        first = run[m.start()]
        orig = "".join(a.orig for a in run[m.start() : m.end()])
        out.append(Atom(spoken(m.group()), orig, first.rate, first.hint, "zh", fixed=True))
        pos = m.end()
    for atom in run[pos:]:
        atom.lang = "zh"
        out.append(atom)
    return out
