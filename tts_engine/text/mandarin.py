"""Mandarin readings in context: a tone-numbered syllable for every Han character of a text.

jieba cuts each run of Han characters into words and tags them; pypinyin reads each word with
its phrase dictionary; the built-in lexicon (``tts_engine/data/mandarin_lexicon.txt``) replaces
the readings of the words it knows (还款 huan2, 行长 hang2 zhang3); polyphone rules decide the
characters that stand alone (跑得快 de5, 两只 zhi1); tone sandhi last gives the tones as spoken.
Backends apply ``Piece.pinyin`` overrides on top, so a user's lexicon and inline pinyin win.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from itertools import accumulate, pairwise
from typing import Any

from tts_engine.text import polyphones
from tts_engine.text.lexicon import Lexicon, LexiconMatch
from tts_engine.text.sandhi import Sandhi

HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")  # the range pypinyin, jieba and the backends read

Word = tuple[str, str]  # (text, jieba part-of-speech tag)
_MAX_SPAN = 4  # jieba words a lexicon word may join


@cache
def builtin_lexicon() -> Lexicon:
    """The lexicon shipped in the package, parsed once."""
    data = resources.files("tts_engine") / "data" / "mandarin_lexicon.txt"
    return Lexicon.parse(data.read_text(encoding="utf-8"), source="mandarin_lexicon.txt")


class MandarinReader:
    """``reader(text)`` → one reading per character of ``text`` (None for what is not Han).

    ``lexicon`` replaces the built-in one (``Lexicon()`` for none); ``sandhi=False`` gives
    the tones as written. Loading jieba's dictionary takes about a second, once per process.
    """

    def __init__(self, lexicon: Lexicon | None = None, *, sandhi: bool = True) -> None:
        import jieba
        import jieba.posseg
        from pypinyin import Style, lazy_pinyin
        from pypinyin.constants import PHRASES_DICT
        from pypinyin.seg.simpleseg import seg

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        self._cut: Any = jieba.posseg.lcut
        self._lazy_pinyin: Any = lazy_pinyin
        self._tone3 = Style.TONE3
        self._phrases: Any = seg
        self._phrase_dict: Any = PHRASES_DICT
        self._lexicon = builtin_lexicon() if lexicon is None else lexicon
        self._sandhi = Sandhi() if sandhi else None

    def __call__(self, text: str) -> list[str | None]:
        """The readings as spoken (after tone sandhi, unless the reader was made without)."""
        return self._read(text, spoken=self._sandhi is not None)

    def written(self, text: str) -> list[str | None]:
        """The readings with the tones words are written with, before sandhi."""
        return self._read(text, spoken=False)

    def words(self, text: str) -> list[tuple[int, str]]:
        """jieba's words of the Han runs of ``text``, with their offsets (for grouping syllables)."""
        out = []
        for run in HAN_RUN.finditer(text):
            start = run.start()
            for word, _ in self._segment(run.group()):
                out.append((start, word))
                start += len(word)
        return out

    def _read(self, text: str, *, spoken: bool) -> list[str | None]:
        out: list[str | None] = [None] * len(text)
        for run in HAN_RUN.finditer(text):
            out[run.start() : run.end()] = self._run(run.group(), spoken)
        return out

    def _segment(self, run: str) -> list[Word]:
        return [(pair.word, pair.flag) for pair in self._cut(run)]

    def _run(self, run: str, spoken: bool) -> list[str | None]:
        words = self._segment(run)
        readings: list[str | None] = []
        for i, (word, pos) in enumerate(words):
            prev, prev_pos = words[i - 1] if i else ("", "")
            nxt = words[i + 1] if i + 1 < len(words) else ("", "")
            readings += self._word(word, pos, prev, prev_pos, nxt)
        matches = self._aligned(run, words)
        for m in matches:
            readings[m.start : m.end] = list(m.pinyin)
        if spoken and self._sandhi:
            return self._sandhi(_merge(words, matches), readings)
        return readings

    def _word(self, word: str, pos: str, prev: str, prev_pos: str, nxt: Word) -> list[str | None]:
        """pypinyin's readings of one jieba word, then the polyphone rules for its characters."""
        out: list[str | None] = []
        for phrase in self._phrases(word):
            out += self._pinyin(phrase)
            in_phrase = phrase in self._phrase_dict  # holds only phrases read unlike their characters
            for i in range(len(out) - len(phrase), len(out)):
                if word[i] in polyphones.RULES:
                    context = polyphones.Context(word, pos, i, prev, prev_pos, nxt[0], nxt[1], in_phrase)
                    out[i] = polyphones.reading(word[i], context) or out[i]
        return out

    def _pinyin(self, phrase: str) -> list[str | None]:
        def read(s: str) -> list[Any]:
            return list(self._lazy_pinyin(s, style=self._tone3, neutral_tone_with_five=True, errors="ignore"))

        readings = read(phrase)
        if len(readings) != len(phrase):  # a character without a reading was dropped
            readings = [(read(ch) or [None])[0] for ch in phrase]
        return [str(r) if r and r[-1].isdigit() else None for r in readings]

    def _aligned(self, run: str, words: Sequence[Word]) -> list[LexiconMatch]:
        """Lexicon words that agree with the segmentation: a span of whole words (应/还 → 应还),
        else a part of one word (还款 in 还款额). A lexicon word across a word boundary
        (行长 in 银行/长期) is a false friend and is not applied."""
        starts = list(accumulate((len(w) for w, _ in words), initial=0))
        out: list[LexiconMatch] = []
        i = 0
        while i < len(words):
            span = next(
                (
                    (j, found)
                    for j in range(min(len(words), i + _MAX_SPAN), i + 1, -1)
                    if (found := self._lexicon.pinyin(run[starts[i] : starts[j]])) is not None
                ),
                None,
            )
            if span:
                j, pinyin = span
                out.append(LexiconMatch(starts[i], starts[j], run[starts[i] : starts[j]], pinyin))
                i = j
                continue
            for m in self._lexicon.matches(words[i][0]):
                out.append(LexiconMatch(starts[i] + m.start, starts[i] + m.end, m.text, m.pinyin))
            i += 1
        return out


def _merge(words: Sequence[Word], matches: Sequence[LexiconMatch]) -> list[Word]:
    """``words`` regrouped along the lexicon's words, so sandhi treats 应还 as one word and the
    万一 of jieba's 万一出 as a word of its own. A part keeps the tag of the word it starts in."""
    starts = list(accumulate((len(w) for w, _ in words), initial=0))
    cuts = set(starts)
    for m in matches:
        cuts = {c for c in cuts if not m.start < c < m.end} | {m.start, m.end}
    tag_at = {start: tag for start, (_, tag) in zip(starts, words, strict=False)}
    text = "".join(w for w, _ in words)
    tag = ""
    out = []
    for a, b in pairwise(sorted(cuts)):
        tag = tag_at.get(a, tag)
        out.append((text[a:b], tag))
    return out


def library_readings(text: str) -> list[str | None]:
    """The libraries' readings alone: pypinyin word by word over jieba's words, as misaki's
    legacy front end reads them (for comparisons, and to reproduce its output)."""
    import jieba
    from pypinyin import Style, lazy_pinyin

    def read(s: str) -> list[str]:
        return list(lazy_pinyin(s, style=Style.TONE3, neutral_tone_with_five=True, errors="ignore"))

    out: list[str | None] = [None] * len(text)
    for run in HAN_RUN.finditer(text):
        pos = run.start()
        for word in jieba.lcut(run.group()):
            readings = read(word)
            if len(readings) != len(word):
                readings = [(read(ch) or [""])[0] for ch in word]
            out[pos : pos + len(word)] = [r or None for r in readings]
            pos += len(word)
    return out
