from __future__ import annotations

import pytest

from tts_engine.text.langid import apply_hint, detect, segment


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("我们用AI做TTS", [("zh", "我们用"), ("en", "AI"), ("zh", "做"), ("en", "TTS")]),
        ("iPhone 15", [("en", "iPhone 15")]),
        ("版本3.2发布", [("zh", "版本3.2发布")]),
        ("GPT-4发布了", [("en", "GPT-4"), ("zh", "发布了")]),
        ("iPhone 15，花了5000元", [("en", "iPhone 15，"), ("zh", "花了5000元")]),
        ("Windows 11和macOS 14", [("en", "Windows 11"), ("zh", "和"), ("en", "macOS 14")]),
        ("Hello 2026年", [("en", "Hello "), ("zh", "2026年")]),
        ("用了5G网络", [("zh", "用了"), ("en", "5G"), ("zh", "网络")]),
        ("跑了5km", [("zh", "跑了5km")]),  # a unit after a number is part of the number
        ("温度-5°C", [("zh", "温度-5°C")]),
        ("他说：“Hello world”", [("zh", "他说："), ("en", "“Hello world”")]),
        ("2026年11月21日", [("zh", "2026年11月21日")]),
        ("東京に行きます。我喜欢北京。", [("ja", "東京に行きます。"), ("zh", "我喜欢北京。")]),
        ("カタカナ", [("ja", "カタカナ")]),
        ("안녕하세요 world", [("ko", "안녕하세요 "), ("en", "world")]),
        ("Привет, мир", [("ru", "Привет, мир")]),
        ("مرحبا بالعالم", [("ar", "مرحبا بالعالم")]),
        ("สวัสดี", [("und", "สวัสดี")]),
        ("Café crème", [("en", "Café crème")]),
    ],
)
def test_segment(text: str, runs: list[tuple[str, str]]) -> None:
    assert segment(text) == runs
    assert "".join(run for _, run in segment(text)) == text


def test_text_without_letters_takes_the_default() -> None:
    assert set(detect("12345，678")) == {"zh"}
    assert set(detect("12345", default="en")) == {"en"}
    assert detect("") == []


@pytest.mark.parametrize(
    ("detected", "hint", "result"),
    [
        ("en", "fr", "fr"),  # Latin text in <lang xml:lang="fr"> is French
        ("zh", "fr", "zh"),  # but Han inside it stays Chinese
        ("zh", "ja", "ja"),  # kanji
        ("ru", "uk", "uk"),
        ("en", "ru", "en"),
        ("und", "th", "th"),
        ("en", None, "en"),
    ],
)
def test_apply_hint(detected: str, hint: str | None, result: str) -> None:
    assert apply_hint(detected, hint) == result
