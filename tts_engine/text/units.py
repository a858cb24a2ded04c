"""Measurement units that may follow a number, with their Chinese and English readings."""

from __future__ import annotations

import re
from typing import NamedTuple


class Unit(NamedTuple):
    zh: str
    en: str  # singular
    en_plural: str


def _u(zh: str, en: str, plural: str | None = None) -> Unit:
    return Unit(zh, en, plural or en + "s")


# Case matters: "m" is metres, "M" is not a unit; "s" only counts right after a number.
UNITS: dict[str, Unit] = {
    "km/h": _u("公里每小时", "kilometer per hour", "kilometers per hour"),
    "m/s": _u("米每秒", "meter per second", "meters per second"),
    "km²": _u("平方公里", "square kilometer"),
    "m²": _u("平方米", "square meter"),
    "m³": _u("立方米", "cubic meter"),
    "km": _u("公里", "kilometer"),
    "cm": _u("厘米", "centimeter"),
    "mm": _u("毫米", "millimeter"),
    "m": _u("米", "meter"),
    "kg": _u("公斤", "kilogram"),
    "mg": _u("毫克", "milligram"),
    "g": _u("克", "gram"),
    "t": _u("吨", "ton"),
    "ml": _u("毫升", "milliliter"),
    "mL": _u("毫升", "milliliter"),
    "L": _u("升", "liter"),
    "TB": _u("太字节", "terabyte"),
    "GB": _u("吉字节", "gigabyte"),
    "MB": _u("兆字节", "megabyte"),
    "KB": _u("千字节", "kilobyte"),
    "kB": _u("千字节", "kilobyte"),
    "GHz": _u("吉赫兹", "gigahertz", "gigahertz"),
    "MHz": _u("兆赫兹", "megahertz", "megahertz"),
    "kHz": _u("千赫兹", "kilohertz", "kilohertz"),
    "Hz": _u("赫兹", "hertz", "hertz"),
    "kWh": _u("千瓦时", "kilowatt hour"),
    "kW": _u("千瓦", "kilowatt"),
    "W": _u("瓦", "watt"),
    "V": _u("伏", "volt"),
    "mAh": _u("毫安时", "milliamp hour"),
    "ms": _u("毫秒", "millisecond"),
    "s": _u("秒", "second"),
    "min": _u("分钟", "minute"),
    "h": _u("小时", "hour"),
    "°C": _u("摄氏度", "degree Celsius", "degrees Celsius"),
    "°F": _u("华氏度", "degree Fahrenheit", "degrees Fahrenheit"),
    "℃": _u("摄氏度", "degree Celsius", "degrees Celsius"),
    "°": _u("度", "degree"),
}

# Longest first so "km" wins over "m"; a unit must not run into further letters ("5min" vs "5mins").
UNIT_PATTERN = "(?:" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + ")(?![A-Za-z])"
