"""Tone sandhi: the tones Mandarin is spoken with, from the tones words are written with.

Third tone before third tone rises (你好 ni2 hao3), 不 and 一 change with the next tone
(不是 bu2, 一起 yi4, 一定 yi2), and some syllables lose their tone (看一看, 东西 dong1 xi5).
misaki ships PaddleSpeech's rules (misaki.tone_sandhi); this module feeds them our readings
and adds the readings of 一 in numbers, dates and ordinals, which those rules miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_NO_READING = "?0"  # a placeholder the rules leave alone: tone "0" matches none of them
_DIGITS = frozenset("零一二三四五六七八九〇")
_YI_AFTER = frozenset("十第初")  # 十一, 第一, 初一
_YI_BEFORE = frozenset("月号楼")  # 一月, 一号, 一楼: ordinals
_HUNDREDS = frozenset("百千万亿")
_MEASURES = frozenset("次个天回遍趟位项批份")


def yi_in_number(text: str, i: int) -> str | None:
    """The reading of 一 at ``text[i]`` where it is a digit or an ordinal, else None.

    Read yi1 whatever follows: 二零二一年, 一九九八, 十一月一日, 第一, 周一, 星期一, 一号, 一点五.
    Before 百/千 it is yi4 and before 万/亿 yi2 (一千一百 yi4 qian1 yi4 bai3, 一万 yi2)."""
    prev = text[i - 1] if i else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    after = text[i + 2] if i + 2 < len(text) else ""
    if nxt in _HUNDREDS and prev not in _DIGITS and prev not in _YI_AFTER:
        return "yi4" if nxt in "百千" else "yi2"
    number = (
        prev in _DIGITS
        or nxt in _DIGITS
        or prev in _YI_AFTER
        or text[max(0, i - 2) : i] in ("星期", "礼拜")
        or (prev == "周" and nxt not in _MEASURES)  # 周一, but 每周一次
        or (nxt in _YI_BEFORE and after != "个")
        or (nxt == "日" and prev == "月")
        or (nxt == "点" and after in _DIGITS)
    )
    return "yi1" if number else None


class Sandhi:
    """Applies the rules to one run of Han text, given its words and their written readings."""

    def __init__(self) -> None:
        from misaki.tone_sandhi import ToneSandhi

        self._rules: Any = ToneSandhi()

    def __call__(self, words: Sequence[tuple[str, str]], readings: Sequence[str | None]) -> list[str | None]:
        """``words`` are (word, part-of-speech) covering the run in order; ``readings`` has one
        tone-numbered syllable per character (None where there is none)."""
        text = "".join(w for w, _ in words)
        if len(text) != len(readings):
            raise ValueError(f"{len(readings)} readings for {len(text)} characters")
        finals = [r or _NO_READING for r in readings]
        out: list[str] = []
        pos = 0
        for word, tag in self._rules.pre_merge_for_modify(list(words)):
            part = finals[pos : pos + len(word)]
            out += self._rules.modified_tone(word, tag, list(part))
            pos += len(word)
        if pos != len(finals):  # the merge lost or added characters: keep the written tones
            out = finals
        for i, ch in enumerate(text):
            if ch == "一" and out[i] != _NO_READING:
                out[i] = yi_in_number(text, i) or out[i]
        return [None if r == _NO_READING else r for r in out]
