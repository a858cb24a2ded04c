"""OpenAI's free-text ``instructions`` ("用开心的语气", "speak calmly and slowly") read into an
Expression by a small, fixed set of rules, so the same words always do the same thing.

The rules (README, "Instructions"):

* **Style**: the first style word that is not negated picks the style — a style's name or alias
  from the table, or one of STYLE_WORDS ("happy", "高兴", "furious", "温和", …).
* **Intensity**: a strong word just before it ("very", "非常", "特别", …) or after it ("极了") gives
  1.0, a weak one ("slightly", "a bit", "有点", "稍微", … or "一点" after it) 0.4, none 0.7.
* **Pace, loudness, pitch**: "slowly"/"慢" 0.85× (very: 0.75×, a bit: 0.93×), "quickly"/"快"
  1.15× (1.3×, 1.07×); "loudly"/"大声" +4 dB (+6, +2), "quietly"/"轻声" −4 dB (−8, −2);
  "high-pitched"/"高音" +2 st, "deep"/"低沉" −2 st. The first word of each kind counts.
* **Negation**: a word with "not", "no", "don't", "never", "without", "不", "别", "没", "勿"
  shortly before it in the same clause is skipped ("不要太快", "not angry").

What was applied is reported (``X-Voxflow-Instructions``); words it does not know change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .expression import Expression
from .styles import StyleBook
from .targets import Targets

STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "cheerful": (
        "cheerful", "cheerfully", "happy", "happily", "joyful", "joyfully", "upbeat", "excited",
        "excitedly", "enthusiastic", "enthusiastically", "bright", "bubbly", "cheery", "delighted",
        "glad", "开心", "高兴", "快乐", "愉快", "欢快", "兴奋", "喜悦", "活泼", "欢乐", "轻快",
    ),
    "sad": (
        "sad", "sadly", "sorrowful", "sorrowfully", "melancholy", "melancholic", "gloomy", "unhappy",
        "mournful", "depressed", "downcast", "grieving", "somber", "sombre",
        "悲伤", "难过", "伤心", "忧伤", "沮丧", "悲痛", "失落", "哀伤",
    ),
    "angry": (
        "angry", "angrily", "furious", "furiously", "mad", "annoyed", "irritated", "enraged",
        "outraged", "irate", "frustrated", "愤怒", "生气", "恼火", "气愤", "发火", "暴躁", "愤慨",
    ),
    "calm": (
        "calm", "calmly", "relaxed", "peaceful", "peacefully", "soothing", "tranquil", "serene",
        "composed", "平静", "冷静", "淡定", "镇定", "舒缓", "放松",
    ),
    "serious": (
        "serious", "seriously", "formal", "formally", "professional", "authoritative", "newscaster",
        "news", "solemn", "solemnly", "stern", "sternly", "grave",
        "严肃", "正式", "庄重", "新闻", "播音", "郑重",
    ),
    "gentle": (
        "gentle", "gently", "warm", "warmly", "tender", "tenderly", "kind", "kindly", "caring",
        "sweet", "sweetly", "affectionate", "温柔", "柔和", "亲切", "温和", "温暖", "轻柔",
    ),
}  # fmt: skip
STRONG = ("very", "extremely", "really", "super", "so", "quite", "highly", "deeply", "非常", "很", "特别",
          "十分", "极其", "超级", "极", "好", "太")  # fmt: skip
WEAK = ("slightly", "a little", "a bit", "a touch", "somewhat", "mildly", "a tad", "kind of", "sort of",
        "有点", "有一点", "稍微", "稍", "略微", "略", "一点")  # fmt: skip
# Chinese also says its degree after the word: "慢一点", "开心极了".
WEAK_AFTER = ("一点", "一些", "点", "些")
STRONG_AFTER = ("极了", "得很")
NEGATIONS = ("not", "no", "don't", "dont", "do not", "never", "without", "不", "别", "没", "勿")
INTENSITY = {"strong": 1.0, "weak": 0.4, None: 0.7}

# kind -> (words, value at no degree, strong value, weak value)
MOVES: dict[str, tuple[tuple[str, ...], float, float, float]] = {
    "slow": (("slowly", "slow", "slower", "unhurried", "leisurely", "慢"), 0.85, 0.75, 0.93),
    "fast": (("quickly", "quick", "fast", "faster", "rapidly", "briskly", "hurried", "快"), 1.15, 1.3, 1.07),
    "loud": (("loudly", "loud", "louder", "shouting", "shout", "大声", "响亮"), 4.0, 6.0, 2.0),
    "quiet": (("quietly", "quiet", "quieter", "softly", "whisper", "whispering", "hushed", "小声",
               "轻声", "低声"), -4.0, -8.0, -2.0),
    "high": (("high-pitched", "high pitched", "higher pitch", "high pitch", "高音", "音调高", "声调高"),
             2.0, 3.0, 1.0),
    "low": (("low-pitched", "low pitched", "lower pitch", "low pitch", "deep voice", "deep", "低沉",
             "音调低", "声调低"), -2.0, -3.0, -1.0),
}  # fmt: skip
_KIND_FIELD = {
    "slow": "rate",
    "fast": "rate",
    "loud": "gain_db",
    "quiet": "gain_db",
    "high": "pitch_st",
    "low": "pitch_st",
}
_CLAUSE = re.compile(r"[,.;:!?，。；：！？、\n]")
_WINDOW = 14  # characters before a word searched for its degree or a negation


@dataclass(frozen=True)
class Reading:
    """What the instructions asked, and the words for what was applied (``header()``)."""

    expression: Expression
    applied: dict[str, str] = field(default_factory=dict)

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.applied.items()) or "none"


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    word: str


def read(instructions: str, book: StyleBook) -> Reading:
    """The Expression ``instructions`` ask for (neutral when they name nothing it knows)."""
    text = instructions.lower()
    applied: dict[str, str] = {}
    style, intensity = "neutral", 1.0
    words = {
        s.name: (*STYLE_WORDS.get(s.name, ()), s.name, *(a.lower() for a in s.aliases)) for s in book.styles()
    }
    hits = sorted(
        ((hit, name) for name, ws in words.items() for hit in _find(text, ws) if not _negated(text, hit)),
        key=lambda h: (h[0].start, -(h[0].end - h[0].start)),
    )
    if hits:
        hit, style = hits[0]
        intensity = INTENSITY[_degree(text, hit)]
        applied["style"] = style
        applied["intensity"] = f"{intensity:g}"
    moves: dict[str, float] = {}
    for kind, (ws, plain, strong, weak) in MOVES.items():
        name = _KIND_FIELD[kind]
        found = [h for h in _find(text, ws) if not _negated(text, h) and not _inside_style_word(h, hits)]
        if found and name not in moves:
            degree = _degree(text, found[0])
            moves[name] = {"strong": strong, "weak": weak, None: plain}[degree]
    if "rate" in moves:
        applied["rate"] = f"{moves['rate']:g}"
    if "gain_db" in moves:
        applied["volume"] = f"{moves['gain_db']:+g}dB"
    if "pitch_st" in moves:
        applied["pitch"] = f"{moves['pitch_st']:+g}st"
    return Reading(Expression(style=style, intensity=intensity, adjust=Targets(**moves)), applied)


def _find(text: str, words: tuple[str, ...]) -> list[_Hit]:
    hits = []
    for word in words:
        if _is_han(word):
            pattern = re.escape(word)
            if word == "快":  # a pace, but not in 快乐, 愉快, 欢快, 痛快, 凉快, 轻快
                pattern = r"(?<![愉欢痛凉轻])快(?![乐活])"
        else:
            pattern = r"(?<![a-z'-])" + re.escape(word) + r"(?![a-z'-])"
        hits += [_Hit(m.start(), m.end(), word) for m in re.finditer(pattern, text)]
    return sorted(hits, key=lambda h: h.start)


def _before(text: str, hit: _Hit) -> str:
    """The text of the hit's clause just before it."""
    lead = text[max(0, hit.start - _WINDOW) : hit.start]
    return _CLAUSE.split(lead)[-1]


def _negated(text: str, hit: _Hit) -> bool:
    return bool(_find(_before(text, hit), NEGATIONS))


def _degree(text: str, hit: _Hit) -> str | None:
    before = _before(text, hit)
    after = text[hit.end : hit.end + 2] if _is_han(hit.word) else ""
    if _find(before, WEAK) or after.startswith(WEAK_AFTER):
        return "weak"
    if _find(before, STRONG) or after.startswith(STRONG_AFTER):
        return "strong"
    return None


def _inside_style_word(hit: _Hit, styles: list[tuple[_Hit, str]]) -> bool:
    """ "快" in "快乐" is a style word, not a pace."""
    return any(s.start <= hit.start and hit.end <= s.end for s, _ in styles)


def _is_han(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)
