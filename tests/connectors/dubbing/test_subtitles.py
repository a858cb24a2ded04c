"""SRT and WebVTT read into cues; a malformed file is refused naming the cue (number, time) or line."""

from __future__ import annotations

import itertools

import pytest

from connectors.dubbing.subtitles import SubtitleError, clock, detect, parse
from tests.connectors.dubbing.dubbing_helpers import TWENTY


def test_the_twenty_cue_srt_reads_in_order_with_its_times() -> None:
    cues = parse(TWENTY)
    assert [c.number for c in cues] == list(range(1, 21))
    assert (cues[0].start_ms, cues[0].end_ms, cues[0].text) == (
        1000.0,
        3874.0,
        "大家好，欢迎收看今天的节目。",
    )
    assert cues[-1].end_ms == 51847.0
    assert all(a.start_ms < b.start_ms for a, b in itertools.pairwise(cues))


def test_webvtt_with_voice_spans_notes_and_settings() -> None:
    vtt = (
        "WEBVTT - a header\n\nNOTE a comment\nspanning lines\n\n"
        "intro\n00:01.000 --> 00:02.500 align:start\n<v Alice>Hello <i>there</i></v>\n\n"
        "00:00:03.000 --> 00:00:04.000\n[开心] 你好\n世界\n"
    )
    assert detect(vtt) == "vtt"
    first, second = parse(vtt)
    assert (first.number, first.start_ms, first.end_ms, first.text, first.voice) == (
        1, 1000, 2500, "Hello there", "Alice"
    )  # fmt: skip
    assert (second.start_ms, second.text, second.voice) == (3000, "[开心] 你好 世界", None)


def test_tags_and_line_breaks_of_srt_cues_are_not_spoken() -> None:
    (cue,) = parse("1\r\n00:00:01,000 --> 00:00:02,000\r\n<i>Hi</i> {\\an8}there\r\nfriend\r\n")
    assert cue.text == "Hi there friend"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("WEBVTT\n", "no cues"),
        (TWENTY.replace("00:00:12,443 --> 00:00:14,806", "00:00:12,443 -> 00:00:14,806"), "cue 5 (line 18)"),
        (TWENTY.replace("00:00:06,607 --> 00:00:09,552", "00:00:06,6x7 --> 00:00:09,552"), "cue 3 (line 10)"),
        (TWENTY.replace("\n7\n", "\nseven\n"), "'seven' is not a cue number"),
        ("1\n00:00:03,000 --> 00:00:02,000\nHi\n", "cue 1 (00:00:03,000 --> 00:00:02,000): it ends before"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n",
            "cue 1 (00:00:01,000 --> 00:00:02,000): it has no text",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:01,000 --> 00:00:03,000\nB\n",
            "cue 2 (00:00:01,000",
        ),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nHello\n", "cue 1 (line 3)"),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\nB without a time\n",
            "cue 2 (line 6): a cue block without",
        ),
        ("no header\n\n00:00:01.000 --> 00:00:02.000\nA\n", "is not a cue number"),
    ],
)
def test_malformed_subtitles_are_refused_naming_the_cue(text: str, words: str) -> None:
    with pytest.raises(SubtitleError) as caught:
        parse(text)
    assert words in str(caught.value)


def test_a_webvtt_file_needs_its_header() -> None:
    with pytest.raises(SubtitleError, match="must begin with a WEBVTT line"):
        parse("00:00:01.000 --> 00:00:02.000\nA\n", "vtt")


def test_clock() -> None:
    assert clock(3_723_004.4) == "01:02:03,004"
