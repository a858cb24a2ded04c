"""Readings of polyphones that stand alone, decided by their neighbours.

pypinyin reads a character outside its phrase dictionary with the character's first reading,
which for a word of its own is often the wrong one: 得 de2 in 跑得快 (de5) or 你得去 (dei3),
教 jiao4 in 教我 (jiao1), 两只 zhi3 (zhi1). These rules look at the word the character
forms (jieba's part-of-speech tag) and at the words around it. Each returns None to keep the
library's reading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NUMERALS = frozenset("一二两三四五六七八九十百千万几每半某")
# Words after which 得 is "must" (dei3): a subject, or an adverb that goes with a modal.
_DEI_AFTER = frozenset({"还", "就", "都", "也", "总", "又", "可", "必须", "非"})
_RESULTS = frozenset({"成", "到", "完", "好", "出", "开", "掉"})
_TITLES = ("先生", "女士", "小姐", "总", "经理", "老师", "主任", "董事", "教授", "医生", "律师", "师傅")


@dataclass(frozen=True)
class Context:
    """A polyphone with the words around it."""

    word: str  # the jieba word holding the character
    pos: str  # its jieba part-of-speech tag
    index: int  # of the character in the word
    prev: str  # the previous word ("" at the start of the run)
    prev_pos: str
    next: str  # the next word ("" at the end)
    next_pos: str = ""
    in_phrase: bool = False  # pypinyin read it inside a phrase of its dictionary

    @property
    def alone(self) -> bool:
        return len(self.word) == 1

    @property
    def before(self) -> str:
        """The character just before, inside the word or at the end of the previous one."""
        return self.word[self.index - 1] if self.index else self.prev[-1:]

    @property
    def after(self) -> str:
        return self.word[self.index + 1] if self.index + 1 < len(self.word) else self.next[:1]


Rule = Callable[[Context], str | None]


def _de(c: Context) -> str | None:
    """得 after a verb or adjective links a complement (跑得快 de5); after a subject it is "must"
    (我们得走 dei3). As a verb of its own (得了奖) pypinyin's de2 stands."""
    if not c.alone or not c.pos.startswith("u"):
        return None
    subject = c.prev_pos.startswith(("r", "n")) and not c.prev_pos.startswith("nz")
    return "dei3" if subject or c.prev in _DEI_AFTER else "de5"


def _de_adverbial(c: Context) -> str | None:
    """地 as the adverbial particle (认真地 de5); jieba tags it uv."""
    return "de5" if c.alone and c.pos == "uv" else None


def _zhi(c: Context) -> str | None:
    """只 after a numeral is the measure word (两只猫 zhi1), else "only"."""
    return "zhi1" if not c.in_phrase and c.before in NUMERALS else None


def _as_verb(reading: str) -> Rule:
    """A character whose reading as a verb differs from its compounds' (教我 jiao1, 教育 jiao4):
    a verb on its own, or with a result after it (切成 qie1, 数完 shu3)."""

    def rule(c: Context) -> str | None:
        verb = c.alone or (c.index == 0 and c.word[1:] in _RESULTS)
        return reading if verb and c.pos.startswith("v") else None

    return rule


def _alone(reading: str) -> Rule:
    """A character whose compounds take one reading and the word on its own another
    (觉 jiao4: 睡了一觉, but 觉得, 感觉)."""

    def rule(c: Context) -> str | None:
        return reading if c.alone else None

    return rule


def _followed(reading: str, chars: str) -> Rule:
    """A verb whose reading shows in the character after it (待了 dai1, 卡在 qia3, 系好 ji4)."""

    def rule(c: Context) -> str | None:
        return reading if c.alone and c.after and c.after in chars else None

    return rule


def _huan(c: Context) -> str | None:
    """还 directly followed by 了 is the verb "return" (还了三千元); otherwise "still"."""
    return "huan2" if not c.in_phrase and c.alone and c.next == "了" else None


def _hang(c: Context) -> str | None:
    """行 after an ordinal counts lines (第三行 hang2), even where pypinyin knows 三行 as a phrase."""
    head = c.word[: c.index]
    if head.startswith("第") and len(head) > 1 and all(ch in NUMERALS or ch == "零" for ch in head[1:]):
        return "hang2"
    return None


def _wei(c: Context) -> str | None:
    """为 before an amount, a number or a time is "is" (金额为八千元, 时间为下午三点: wei2);
    elsewhere pypinyin's "for" (wei4) stands."""
    amount = c.next_pos in ("m", "mq", "t") and c.next[:1] not in "这那此该"  # but 为这件事 wei4
    if c.alone and not c.in_phrase and (amount or c.next[:1] in NUMERALS):
        return "wei2"
    return None


def _zeng(c: Context) -> str | None:
    """曾 before a title is the surname (曾先生 zeng1)."""
    return "zeng1" if not c.in_phrase and c.alone and c.next.startswith(_TITLES) else None


RULES: dict[str, Rule] = {
    "得": _de,
    "地": _de_adverbial,
    "只": _zhi,
    "还": _huan,
    "行": _hang,
    "曾": _zeng,
    "为": _wei,
    "数": _as_verb("shu3"),
    "教": _as_verb("jiao1"),
    "盛": _as_verb("cheng2"),
    "切": _as_verb("qie1"),
    "挣": _alone("zheng4"),
    "削": _alone("xiao1"),
    "觉": _alone("jiao4"),
    "待": _followed("dai1", "了着在"),
    "卡": _followed("qia3", "在住"),
    "系": _followed("ji4", "好上紧"),
}


def reading(char: str, context: Context) -> str | None:
    """The rule's reading for ``char`` in ``context``, or None to keep pypinyin's."""
    rule = RULES.get(char)
    return rule(context) if rule else None
