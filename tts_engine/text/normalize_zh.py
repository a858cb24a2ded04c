"""Chinese text normalization: numbers, dates, times, money, phones and units as spoken words.

cn2an reads the plain numbers; the rules around it cover what ``cn2an.transform`` gets wrong
(times, money symbols, thousands separators, phone numbers, ISO dates, units, 两).
"""

from __future__ import annotations

import re

import cn2an

from tts_engine.text.chars import ascii_digits
from tts_engine.text.rules import RuleSet
from tts_engine.text.units import UNIT_PATTERN, UNITS

_DIGIT = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
# Measure words after which a lone 2 is read 两 (两个, 两次, 两点) rather than 二.
_LIANG_BEFORE = frozenset("个位次只件条张本台辆家名项人种份天周年岁倍双对半点块万亿千百")
_MONEY_AFTER = ("元", "块", "美元", "欧元", "英镑", "日元", "港元")
_CURRENCY = {"¥": "元", "$": "美元", "US$": "美元", "HK$": "港元", "€": "欧元", "£": "英镑"}
_SYMBOL = {"+": "加", "=": "等于", "×": "乘", "÷": "除以", "&": "和", "²": "的平方", "³": "的立方"}
_MAX_CN2AN_DIGITS = 12  # longer digit strings are IDs and codes, read digit by digit

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SIGNED = rf"(?:(?<![A-Za-z0-9.])-)?(?:{_NUM})"
_DASH = r"[-~～—–]"


def digits(text: str, *, yao: bool = False) -> str:
    """Digit by digit; ``yao`` reads 1 as 幺 the way phone numbers are said. Other characters stay."""
    out = "".join(_DIGIT.get(ch, ch) for ch in text)
    return out.replace("一", "幺") if yao else out


def cardinal(number: str, *, liang: bool = False) -> str:
    """``-1,280.5`` → 负一千二百八十点五. ``liang`` reads a bare 2 as 两."""
    number = number.replace(",", "")
    sign = "负" if number.startswith("-") else ""
    whole, _, frac = number.lstrip("-+").partition(".")
    if len(whole) > _MAX_CN2AN_DIGITS or (len(whole) > 1 and whole.startswith("0")):
        spoken = digits(whole)
    elif liang and whole == "2" and not frac:
        spoken = "两"
    else:
        spoken = str(cn2an.an2cn(whole or "0"))
    if frac:
        spoken += "点" + digits(frac)
    return sign + spoken


def _money(number: str) -> str:
    """Amounts drop trailing decimal zeros: 1280.50 → 一千二百八十点五."""
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return cardinal(number)


def _followed_by(m: re.Match[str]) -> str:
    return m.string[m.end() : m.end() + 2]


def _number(m: re.Match[str]) -> str:
    after = _followed_by(m)
    if after.startswith(_MONEY_AFTER):
        return _money(m.group())
    ordinal = m.string[m.start() - 1 : m.start()] == "第"  # 第2名 is 第二名, never 第两名
    return cardinal(m.group(), liang=after[:1] in _LIANG_BEFORE and not ordinal)


def _phone(m: re.Match[str]) -> str:
    text = m.group().replace("+", "加")
    return " ".join(digits(part, yao=True) for part in re.split(r"[- ]", text) if part)


def _date(m: re.Match[str]) -> str:
    year, month, day = m.groups()
    return f"{digits(year)}年{cardinal(month.lstrip('0'))}月{cardinal(day.lstrip('0'))}日"


def _written_date(m: re.Match[str]) -> str:
    """2026年11月21日 as one stretch, so the splitter keeps the date together."""
    year, month, day, day_word = m.groups()
    spoken = (digits(year) + "年") if year else ""
    spoken += cardinal(month.lstrip("0")) + "月"
    return spoken + (cardinal(day.lstrip("0")) + day_word if day else "")


def _year(m: re.Match[str]) -> str:
    return digits(m.group())


def _time(m: re.Match[str]) -> str:
    hour, minute, second = m.groups()
    spoken = cardinal(hour.lstrip("0") or "0", liang=True) + "点"
    if minute != "00" or second:
        spoken += ("零" if minute.startswith("0") and minute != "00" else "") + cardinal(
            minute.lstrip("0") or "0"
        )
        spoken += "分"
    if second:
        spoken += cardinal(second.lstrip("0") or "0") + "秒"
    return spoken


def _percent(number: str, sign: str) -> str:
    spoken = cardinal(number)
    prefix = "千分之" if sign == "‰" else "百分之"
    return spoken.replace("负", "负" + prefix) if spoken.startswith("负") else prefix + spoken


def _percent_rule(m: re.Match[str]) -> str:
    return _percent(m.group(1), m.group(2))


def _unit(m: re.Match[str]) -> str:
    number, unit = m.group(1), m.group(2)
    degrees = unit in ("°C", "°F", "℃", "°")
    if degrees and number.startswith("-"):
        return "零下" + cardinal(number[1:]) + UNITS[unit].zh
    return cardinal(number, liang=not degrees) + UNITS[unit].zh  # 两公斤, but 二摄氏度


def _range(m: re.Match[str]) -> str:
    low, _, high, high_pct, unit = m.groups()
    if _followed_by(m).startswith("年") and len(low) == len(high) == 4:
        return digits(low) + "到" + digits(high)
    if high_pct:
        return _percent(low, high_pct) + "到" + _percent(high, high_pct)
    read = cardinal(low) + "到" + cardinal(high)
    return read + UNITS[unit].zh if unit else read


def _currency(m: re.Match[str]) -> str:
    symbol, number, scale = m.groups()
    name = _CURRENCY[symbol]
    # "¥1,280元" names the currency twice; say it once
    return _money(number) + scale + ("" if _followed_by(m).startswith(name[0]) else name)


def _fraction(m: re.Match[str]) -> str:
    return f"{cardinal(m.group(2))}分之{cardinal(m.group(1))}"


def _dotted(m: re.Match[str]) -> str:
    """Versions and addresses: 3.10.2 → 三点十点二, 192.168.1.1 → 一九二点一六八点一点一."""
    return "点".join(cardinal(p) if len(p) <= 2 else digits(p) for p in m.group().split("."))


_RULES = RuleSet(
    [
        (r"(?<!\d)(?:\+86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)", _phone),
        (r"(?<!\d)(?:0\d{2,3}-\d{7,8}|[48]00-?\d{3}-?\d{4})(?!\d)", _phone),
        (r"(?<!\d)(\d{4})[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])(?!\.?\d)", _date),
        (r"(?<![\d.])(?:(\d{4})年)?(0?[1-9]|1[0-2])月(?:(0?[1-9]|[12]\d|3[01])([日号]))?", _written_date),
        (r"(?<![\d.])(?:1\d{3}|20\d{2})(?=年)", _year),
        (r"(?<![\d.])([01]?\d|2[0-4])[:：]([0-5]\d)(?:[:：]([0-5]\d))?(?![\d.])", _time),
        (r"(?<![\d.])\d+(?:\.\d+){2,}(?!\.?\d)", _dotted),
        (r"(?<![\d.])(\d+)[:：](\d+)(?![\d.])", lambda m: f"{cardinal(m.group(1))}比{cardinal(m.group(2))}"),
        (rf"(US\$|HK\$|[¥$€£])\s?({_NUM})([万亿千百]*)", _currency),
        (
            rf"(?<![\d.])({_NUM})([%％‰]?)\s?{_DASH}\s?({_NUM})([%％‰]?)(?:\s?({UNIT_PATTERN}))?(?![\d.])",
            _range,
        ),
        (rf"({_SIGNED})\s?([%％‰])", _percent_rule),
        (rf"({_SIGNED})\s?({UNIT_PATTERN})", _unit),
        (r"(?<![\d/])(\d+)/(\d+)(?![\d/])", _fraction),
        (_SIGNED, _number),
        ("[" + re.escape("".join(_SYMBOL)) + "]", lambda m: _SYMBOL[m.group()]),
    ]
)


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, spoken) for each stretch of ``text`` the rules rewrite."""
    # Regex \d takes every script's digits, cn2an only ASCII ones; folding keeps positions (1:1).
    return list(_RULES.spans(ascii_digits(text)))


def normalize_zh(text: str) -> str:
    """Chinese text with numbers and symbols spelled out: ``增长15.5%`` → 增长百分之十五点五."""
    return _RULES.apply(ascii_digits(text))


def say_as(text: str, interpret_as: str, date_format: str | None = None) -> str:
    """SSML ``<say-as>`` content read in Chinese (content was validated by the SSML parser)."""
    if interpret_as in ("characters", "spell-out"):
        spaced = " ".join(digits(ch) for ch in text if not ch.isspace())
        return re.sub(r"(?<=[^A-Za-z]) (?=[^A-Za-z])", "", spaced)  # spaces only around Latin letters
    if interpret_as == "digits":
        return digits(text)
    if interpret_as == "telephone":
        return " ".join(digits(p, yao=True) for p in re.split(r"[-\s()]+", text.replace("+", "加")) if p)
    if interpret_as == "date":
        parts = dict(zip(date_format or "ymd", re.findall(r"\d+", text), strict=False))
        out = digits(parts["y"]) + "年" if "y" in parts else ""
        out += cardinal(parts["m"].lstrip("0")) + "月" if "m" in parts else ""
        return out + (cardinal(parts["d"].lstrip("0")) + "日" if "d" in parts else "")
    number = re.sub(r"(st|nd|rd|th)$", "", text.strip())
    return ("第" if interpret_as == "ordinal" else "") + cardinal(number)
