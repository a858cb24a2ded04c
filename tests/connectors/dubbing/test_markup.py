"""Style prefixes and speaker labels in cue text."""

from __future__ import annotations

import pytest

from connectors.dubbing.markup import read
from connectors.dubbing.subtitles import Cue, SubtitleError


def line(text: str, speakers: tuple[str, ...] = ("Alice", "小明"), voice: str | None = None):  # type: ignore[no-untyped-def]
    return read(Cue(4, 1000, 2500, text, voice), speakers)


@pytest.mark.parametrize(
    ("text", "style", "intensity", "speaker", "words"),
    [
        ("[cheerful] Hello", "cheerful", None, None, "Hello"),
        ("[开心 0.6] 你好", "开心", 0.6, None, "你好"),
        ("【悲伤 40%】再见", "悲伤", 0.4, None, "再见"),
        ("Alice: [sad] Goodbye", "sad", None, "Alice", "Goodbye"),
        ("[calm] alice: Goodbye", "calm", None, "Alice", "Goodbye"),
        ("小明：我来了", None, None, "小明", "我来了"),
        ("Warning: the bridge is out", None, None, None, "Warning: the bridge is out"),
        ("Time: 3:30", None, None, None, "Time: 3:30"),
    ],
)
def test_prefixes_and_labels(
    text: str, style: str | None, intensity: float | None, speaker: str | None, words: str
) -> None:
    got = line(text)
    assert (got.style, got.intensity, got.speaker, got.text) == (style, intensity, speaker, words)


def test_a_webvtt_voice_span_names_the_speaker_even_when_unmapped() -> None:
    got = line("[gentle] Hi", voice="Bob")
    assert (got.speaker, got.style, got.text) == ("Bob", "gentle", "Hi")
    assert line("Hi", voice="ALICE").speaker == "Alice"  # the table's spelling, as labels match


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[cheerful 1.5] Hi", "intensity 1.5 must be 0-1"),
        ("[sad 150%] Hi", "intensity 150% must be 0-1"),
        ("[MUSIC PLAYING] la la", "'[MUSIC PLAYING]' is not a style prefix"),
    ],
)
def test_bad_prefixes_name_the_cue(text: str, words: str) -> None:
    with pytest.raises(SubtitleError) as caught:
        line(text)
    assert str(caught.value).startswith("cue 4 (00:00:01,000 --> 00:00:02,500): ") and words in str(
        caught.value
    )
