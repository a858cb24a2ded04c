"""Mandarin and English phonemes for Kokoro-82M v1.0, in misaki's phoneme set.

Kokoro v1.0 was trained on misaki's *legacy* Mandarin output (tone arrows
→↗↓↘ after each syllable; ``ZHG2P()`` without a version), which is what
vocab.json holds. This module writes that format (syllables of a jieba word
joined, words separated by spaces) while keeping track of where each Han
character sits in the input, so that tone-numbered pinyin overrides
(``Piece.pinyin``) replace the reading of exactly the characters they name.
The syllables themselves come from :class:`~tts_engine.text.mandarin.MandarinReader`
(phrase readings, the built-in lexicon, polyphone rules; tones as written) rather
than from misaki's plain pypinyin call; with a reader that gives pypinyin's
readings the output is misaki's.

English goes through eSpeak NG with misaki's own espeak→misaki phoneme mapping
(``misaki.espeak.EspeakFallback``); misaki's full English G2P needs spaCy and a
spaCy pipeline it would download at run time.
"""

from __future__ import annotations

import logging
import re
import threading
import types
from collections.abc import Callable, Mapping, Sequence

from ..text.acronyms import LETTER_PINYIN

log = logging.getLogger(__name__)

_ENGLISH_LETTERS = frozenset("Q")
HAN = re.compile(r"[\u4e00-\u9fff]+")  # the range misaki's legacy Mandarin path reads
LATIN = re.compile(r"[A-Za-z]")
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
DIGIT = re.compile(r"[0-9]")
# misaki's ZHG2P.map_punctuation, as a table: applied to the text between Han
# runs only, so the offsets of Han characters stay those of the input.
_PUNCTUATION = str.maketrans(
    {
        "、": ", ",
        "，": ", ",
        "。": ". ",
        "．": ". ",
        "！": "! ",
        "：": ": ",
        "；": "; ",
        "？": "? ",
        "«": " “",
        "»": "” ",
        "《": " “",
        "》": "” ",
        "「": " “",
        "」": "” ",
        "【": " “",
        "】": "” ",
        "（": " (",
        "）": ") ",
    }
)


class KokoroG2P:
    """Text of one language (``"zh"`` or ``"en"``) to a misaki phoneme string.

    ``reader`` gives the reading of each character of a text (None where there is none);
    by default a :class:`MandarinReader` without tone sandhi. Thread-safe: the eSpeak phonemizer, which keeps
    global state, runs under a lock.
    """

    def __init__(self, reader: Callable[[str], Sequence[str | None]] | None = None) -> None:
        import jieba
        from misaki.espeak import EspeakFallback  # importing it points phonemizer at espeakng_loader's lib
        from misaki.zh import ZHG2P

        from ..text.mandarin import MandarinReader

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()  # loads its dictionary (~0.6 s) now rather than on the first request
        self._jieba = jieba
        self._py2ipa = ZHG2P.py2ipa
        # Tones as written: the model learnt sandhi from misaki's legacy phonemes, which have none,
        # and Whisper understood it less with sandhi applied (bench/pronunciation_cer.py).
        self.reader = reader or MandarinReader(sandhi=False)
        self._espeak = EspeakFallback(british=False)
        self._espeak_lock = threading.Lock()

    def __call__(self, text: str, lang: str, pinyin: Mapping[int, str] | None = None) -> str:
        pinyin = pinyin or {}
        if lang == "zh" and not pinyin and DIGIT.search(text):
            import cn2an

            # as misaki does; not with overrides, which index the original text
            text = cn2an.transform(text, "an2cn")
        readings = self.reader(text) if HAN.search(text) else []
        parts: list[str] = []
        pos = 0
        for run in HAN.finditer(text):
            parts.append(self._between(text[pos : run.start()], lang))
            parts.append(self._mandarin(run.group(), run.start(), readings, pinyin))
            pos = run.end()
        parts.append(self._between(text[pos:], lang))
        phonemes = "".join(parts).replace(chr(815), "")  # misaki drops the non-syllabic mark too
        return re.sub(r" {2,}", " ", phonemes).strip()

    def english(self, text: str) -> str:
        with self._espeak_lock:
            phonemes, _ = self._espeak(types.SimpleNamespace(text=text))
        return phonemes or ""

    def spell(self, letters: str) -> str:
        """Capitals as letter names, said as Chinese speakers say them (``HR`` → ei1 chi3 a1 er3),
        which Whisper understands far better from these speakers than English letter names;
        Q, which no Mandarin syllable comes close to, keeps its English name."""
        names = []
        for ch in letters:
            if ch in _ENGLISH_LETTERS or ch not in LETTER_PINYIN:
                names.append(self.english(ch))
            else:
                names.append("".join(self.syllable(s) for s in LETTER_PINYIN[ch]))
        return " ".join(names).replace(chr(815), "")

    def syllable(self, pinyin: str) -> str:
        """One tone-numbered pinyin syllable ("chong2") in misaki phonemes; ValueError if not pinyin."""
        return str(self._py2ipa(pinyin.strip().lower()))

    def _between(self, text: str, lang: str) -> str:
        if not text.strip():
            return text
        words = LATIN_WORD.findall(text)
        if lang == "zh" and words and all(w.isupper() for w in words):
            # the front-end keeps only acronyms in Chinese pieces (OKR, Q三): spell them
            spelled = LATIN_WORD.sub(lambda m: f" {self.spell(m.group())} ", text)
            return spelled.translate(_PUNCTUATION)
        if lang == "en" or LATIN.search(text):
            return f" {self.english(text)} "
        return text.translate(_PUNCTUATION)

    def _mandarin(
        self, run: str, offset: int, readings: Sequence[str | None], overrides: Mapping[int, str]
    ) -> str:
        words = []
        for word, start, _end in self._jieba.tokenize(run):
            at = offset + start
            syllables = [self._reading(readings[at + i], overrides.get(at + i)) for i in range(len(word))]
            words.append("".join(syllables))
        return " ".join(w for w in words if w)

    def _reading(self, default: str | None, override: str | None) -> str:
        if override:
            try:
                return self.syllable(override)
            except ValueError:
                log.warning("ignoring pinyin override %r: not a pinyin syllable", override)
        if not default:
            return ""  # no reading known for the character
        try:
            return self.syllable(default)
        except ValueError:
            return ""
