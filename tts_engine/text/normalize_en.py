"""English text normalization: numbers, money, dates, times, units and abbreviations as words.

num2words reads the numbers; its British "and" and thousands commas are dropped so amounts
read the American way ("one thousand two hundred eighty").
"""

from __future__ import annotations

import re

from num2words import num2words

from tts_engine.text.chars import ascii_digits
from tts_engine.text.rules import RuleSet
from tts_engine.text.units import UNIT_PATTERN, UNITS

_DIGIT = dict(zip("0123456789", "zero one two three four five six seven eight nine".split(), strict=True))
_MONTH_NAMES = "January February March April May June July August September October November December".split()
_MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
# symbol: (unit, units, subunit, subunits); yen has no subunit in speech
_CURRENCY = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
}
_SCALE = {"k": "thousand", "K": "thousand", "M": "million", "B": "billion", "bn": "billion"}
_ABBREVIATIONS = {
    "Dr.": "Doctor", "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Prof.": "Professor",
    "Capt.": "Captain", "Gen.": "General", "Lt.": "Lieutenant", "Sgt.": "Sergeant",
    "Jr.": "Junior", "Sr.": "Senior", "vs.": "versus", "etc.": "et cetera", "approx.": "approximately",
    "Inc.": "Incorporated", "Ltd.": "Limited", "Corp.": "Corporation", "Dept.": "Department",
    "Fig.": "Figure", "e.g.": "for example", "i.e.": "that is",
}  # fmt: skip
# Abbreviations that can also end a sentence keep their period there so the splitter sees it.
_MAY_END_SENTENCE = frozenset({"Jr.", "Sr.", "etc.", "Inc.", "Ltd.", "Corp.", "Dept."})
_SYMBOL = {"&": "and", "+": "plus", "=": "equals", "@": "at", "×": "times", "²": "squared", "³": "cubed"}
_MAX_WORD_DIGITS = 15  # longer digit strings are IDs and codes, read digit by digit

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SIGNED = rf"(?:(?<![A-Za-z0-9.])-)?(?:{_NUM})"
_SENTENCE_GOES_ON = re.compile(r"\s*$|\s+[A-Z\"“‘(]")


def _clean(words: str) -> str:
    return words.replace(",", "").replace(" and ", " ")


def digits(text: str) -> str:
    """Digit by digit: 911 → nine one one. Other characters are dropped."""
    return " ".join(_DIGIT[ch] for ch in text if ch in _DIGIT)


def cardinal(number: str) -> str:
    """``-1,280.5`` → minus one thousand two hundred eighty point five."""
    number = number.replace(",", "")
    sign = "minus " if number.startswith("-") else ""
    whole, _, frac = number.lstrip("-+").partition(".")
    if len(whole) > _MAX_WORD_DIGITS or (len(whole) > 1 and whole.startswith("0")):
        spoken = digits(whole)
    else:
        spoken = _clean(num2words(int(whole or "0")))
    if frac:
        spoken += " point " + digits(frac)
    return sign + spoken


def ordinal(number: int) -> str:
    return _clean(num2words(number, to="ordinal"))


def year(number: int) -> str:
    """1999 → nineteen ninety nine, 2026 → twenty twenty six, 2005 → two thousand five."""
    return _clean(num2words(number, to="year"))


def _keep_period(m: re.Match[str], spoken: str) -> str:
    """Re-add a consumed final period when it also ends the sentence."""
    if m.group().endswith(".") and _SENTENCE_GOES_ON.match(m.string, m.end()):
        return spoken + "."
    return spoken


def _plural(number: str, one: str, many: str) -> str:
    return one if number.lstrip("-") == "1" else many


def _currency(m: re.Match[str]) -> str:
    symbol, number, scale = m.groups()
    unit, units, sub, subs = _CURRENCY[symbol]
    number = number.replace(",", "")
    if scale:
        amount = number.rstrip("0").rstrip(".") if "." in number else number
        return f"{cardinal(amount)} {_SCALE.get(scale, scale)} {units}"
    whole, _, frac = number.partition(".")
    if not sub or len(frac) > 2:
        return f"{cardinal(number)} {_plural(number, unit, units)}"
    cents = int((frac + "00")[:2]) if frac else 0
    parts = [f"{cardinal(whole)} {_plural(whole, unit, units)}"] if int(whole) or not cents else []
    if cents:
        parts.append(f"{cardinal(str(cents))} {_plural(str(cents), sub, subs)}")
    return " and ".join(parts)


def _date(month: int, day: int | None, yr: int | None) -> str:
    spoken = _MONTH_NAMES[month - 1]
    if day:
        spoken += " " + ordinal(day)
    if yr:
        spoken += (", " if day else " ") + year(yr)
    return spoken


def _month(name: str) -> int:
    return next(i for i, full in enumerate(_MONTH_NAMES, 1) if full.lower().startswith(name[:3].lower()))


def _iso_date(m: re.Match[str]) -> str:
    return _date(int(m.group(2)), int(m.group(3)), int(m.group(1)))


def _us_date(m: re.Match[str]) -> str:
    return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _month_day(m: re.Match[str]) -> str:
    month, day, yr = m.groups()
    return _keep_period(m, _date(_month(month), int(day), int(yr) if yr else None))


def _day_month(m: re.Match[str]) -> str:
    day, month, yr = m.groups()
    spoken = f"the {ordinal(int(day))} of {_MONTH_NAMES[_month(month) - 1]}"
    return _keep_period(m, spoken + (f", {year(int(yr))}" if yr else ""))


def _ampm(marker: str | None) -> str:
    return f" {marker.lower()} m" if marker else ""


def _time(m: re.Match[str]) -> str:
    hour, minute, second, marker = m.groups()
    spoken = cardinal(hour.lstrip("0") or "0")
    if minute == "00" and not second:
        spoken += "" if marker else (" o'clock" if int(hour) <= 12 else " hundred")
    else:
        spoken += (" oh " if minute.startswith("0") else " ") + cardinal(minute.lstrip("0") or "0")
    if second:
        spoken += f" and {cardinal(second.lstrip('0') or '0')} seconds"
    return _keep_period(m, spoken + _ampm(marker))


def _hour(m: re.Match[str]) -> str:
    return _keep_period(m, cardinal(m.group(1)) + _ampm(m.group(2)))


def _phone(m: re.Match[str]) -> str:
    groups = [g for g in re.split(r"[^\d+]+", m.group()) if g]
    return ", ".join(("plus " if g.startswith("+") else "") + digits(g) for g in groups)


def _ordinal(m: re.Match[str]) -> str:
    return ordinal(int(m.group(1).replace(",", "")))


def _percent(m: re.Match[str]) -> str:
    return cardinal(m.group(1)) + " percent"


def _unit(m: re.Match[str]) -> str:
    number, unit = m.groups()
    info = UNITS[unit]
    return f"{cardinal(number)} {_plural(number, info.en, info.en_plural)}"


def _decade(m: re.Match[str]) -> str:
    number = m.group(1)
    words = year(int(number)) if len(number) == 4 else cardinal(number)
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _fraction(m: re.Match[str]) -> str:
    num, den = int(m.group(1)), int(m.group(2))
    if den == 2:
        name = "half" if num == 1 else "halves"
    elif den == 4:
        name = "quarter" if num == 1 else "quarters"
    else:
        name = ordinal(den) + ("" if num == 1 else "s")
    return f"{cardinal(str(num))} {name}"


def _range(m: re.Match[str]) -> str:
    low, high = m.groups()
    if len(low) == len(high) == 4 and low.isdigit() and high.isdigit():
        return f"{year(int(low))} to {year(int(high))}"
    return f"{cardinal(low)} to {cardinal(high)}"


def _dotted(m: re.Match[str]) -> str:
    return " point ".join(cardinal(p) if len(p) <= 2 else digits(p) for p in m.group().split("."))


def _abbreviation(m: re.Match[str]) -> str:
    word = m.group()
    spoken = _ABBREVIATIONS[word]
    return _keep_period(m, spoken) if word in _MAY_END_SENTENCE else spoken


def _initials(m: re.Match[str]) -> str:
    return _keep_period(m, " ".join(m.group().replace(".", "")))


# Not \b: a digit glued in front ("5Dr.") must not hide the word, or a second pass, which finds
# the digit spelled out and spaced off, would read it differently from the first.
_ABBREV_PATTERN = "|".join(
    ("(?<![A-Za-z])" if w[0].isalpha() else "") + re.escape(w)
    for w in sorted(_ABBREVIATIONS, key=len, reverse=True)
)

_RULES = RuleSet(
    [
        (r"(?<![\d+])(?:\+?1[-. ])?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?!\d)", _phone),
        (r"(?<![\d-])(?:\+86[- ]?)?1[3-9]\d{9}(?!\d)", _phone),
        (r"(?<![\d-])\d{3}-\d{4}(?![\d-])", _phone),
        (rf"(US\$|[$€£¥])\s?({_NUM})(?:\s?(thousand|million|billion|trillion|[kKMB]|bn)\b)?", _currency),
        (r"(?<!\d)(\d{4})-(0?[1-9]|1[0-2])-(0?[1-9]|[12]\d|3[01])(?![\d-])", _iso_date),
        (r"(?<![\d/])(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/(\d{4})(?![\d/])", _us_date),
        (rf"\b{_MONTH}\s(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s(\d{{4}})\b)?", _month_day),
        (rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s{_MONTH}(?:,?\s(\d{{4}})\b)?", _day_month),
        (r"(?<![\d.])(\d{1,2}):([0-5]\d)(?::([0-5]\d))?(?:\s?([AaPp])\.?[Mm]\b\.?)?(?![\d])", _time),
        (r"(?<![\d.:])(\d{1,2})\s?([AaPp])\.?[Mm]\b\.?", _hour),
        (r"(?<![\d.])(\d+):(\d+)(?![\d.])", lambda m: f"{cardinal(m.group(1))} to {cardinal(m.group(2))}"),
        (r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])", _dotted),
        (r"\b(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b", _ordinal),
        (r"(?<![\w.])'?(\d0|1\d{2}0|20\d0)s\b", _decade),
        (r"(?<![\d/])24/7(?![\d/])", lambda m: "twenty-four seven"),
        (rf"({_SIGNED})\s?%", _percent),
        (rf"({_SIGNED})\s?({UNIT_PATTERN})", _unit),
        (r"(?<![\d/])(\d+)/(\d+)(?![\d/])", _fraction),
        (rf"(?<![\w.])({_NUM})\s?[-–~]\s?({_NUM})(?![\d.])", _range),
        (r"(?<![\d.,])(?:1[1-9]\d\d|20\d\d)(?!\d|[.,]\d)", lambda m: year(int(m.group()))),
        (_SIGNED, lambda m: cardinal(m.group())),
        (_ABBREV_PATTERN, _abbreviation),
        (r"(?<![A-Za-z])No\.(?=\s?\d)", lambda m: "number"),
        (r"#(?=\d)", lambda m: "number "),
        (r"(?<![A-Za-z])(?:[A-Za-z]\.){2,}", _initials),
        ("[" + re.escape("".join(_SYMBOL)) + "]", lambda m: f" {_SYMBOL[m.group()]} "),
    ]
)


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, spoken) for each stretch of ``text`` the rules rewrite. Words keep a space
    from letters they were glued to ("5G" → five G)."""
    out: list[tuple[int, int, str]] = []
    text = ascii_digits(text)  # \d takes every script's digits, num2words only ASCII ones; 1:1
    for start, end, spoken in _RULES.spans(text):
        # What precedes is the previous replacement when two touch ("Dr.$3"), else the text itself.
        before = out[-1][2][-1:] if out and out[-1][1] == start else text[start - 1 : start]
        if before.isalnum() and spoken[:1].isalnum():
            spoken = " " + spoken
        if end < len(text) and text[end].isalnum() and spoken[-1:].isalnum():
            spoken += " "
        out.append((start, end, spoken))
    return out


def normalize_en(text: str) -> str:
    """English text with numbers and abbreviations spelled out: ``$3.50`` → three dollars and fifty cents."""
    out, pos = [], 0
    text = ascii_digits(text)
    for start, end, spoken in spans(text):
        out += [text[pos:start], spoken]
        pos = end
    return re.sub(r"  +", " ", "".join([*out, text[pos:]]))


def say_as(text: str, interpret_as: str, date_format: str | None = None) -> str:
    """SSML ``<say-as>`` content read in English (content was validated by the SSML parser)."""
    if interpret_as in ("characters", "spell-out"):
        return " ".join(_DIGIT.get(ch, ch) for ch in text if not ch.isspace())
    if interpret_as == "digits":
        return digits(text)
    if interpret_as == "telephone":
        return ", ".join(digits(g) for g in re.split(r"[^\d]+", text) if g)
    if interpret_as == "date":
        parts = dict(zip(date_format or "ymd", (int(p) for p in re.findall(r"\d+", text)), strict=False))
        if "m" not in parts:
            return year(parts["y"])
        return _date(parts["m"], parts.get("d"), parts.get("y"))
    number = re.sub(r"(st|nd|rd|th)$", "", text.strip())
    return ordinal(int(number.replace(",", ""))) if interpret_as == "ordinal" else cardinal(number)
