"""``voxflow dub`` on the command line: a track in the format of -o, captions and a JSON report;
bad input ends with exit status 2 and a message naming the cue or option, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
import webvtt
import yaml
from typer.testing import CliRunner

from integrator.cli import cli_app
from tests.connectors.dubbing.dubbing_helpers import CONNECTORS, FAST_VOICES

APP = cli_app(connectors=CONNECTORS)
THREE = """1
00:00:00,300 --> 00:00:02,300
[calm] 欢迎大家来到今天的会议。

2
00:00:02,600 --> 00:00:04,300
Alice: We have a lot to cover this morning, so let us begin.

3
00:00:04,600 --> 00:00:05,800
好的，开始吧。
"""
FIRST = "cue 1 (00:00:00,300 --> 00:00:02,300)"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    config = {"data_dir": str(tmp_path / "data"), "engine": {"preload": [], "default_voice": FAST_VOICES}}
    (tmp_path / "voxflow.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (tmp_path / "three.srt").write_text(THREE, encoding="utf-8")
    return tmp_path


def test_voxflow_dub_writes_the_track_captions_and_report(workdir: Path) -> None:
    run = CliRunner().invoke(
        APP,
        [
            "dub", "three.srt", "-o", "dub.mp3", "--captions", "dub.vtt", "--report", "report.json",
            "--speaker", "Alice=espeak-en", "-c", "voxflow.yaml",
        ],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    samples, rate = sf.read(workdir / "dub.mp3", dtype="float32")
    assert len(samples) / rate == pytest.approx(5.8, abs=0.08)  # MP3 frames pad the end a little
    report = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    assert report["compressed"] == [2] and report["detail"][1]["voice"] == "espeak-en"
    assert report["detail"][0]["style"] == "calm" and report["detail"][1]["speaker"] == "Alice"
    assert "cues compressed more than 1.3×" in run.output and "1 compressed more than 1.3×" in run.output
    captions = webvtt.read(str(workdir / "dub.vtt")).captions
    said = ["欢迎大家来到今天的会议。", "We have a lot to cover this morning, so let us begin."]
    said.append("好的，开始吧。")
    assert [c.text for c in captions] == said
    assert captions[1].voice == "Alice" and captions[0].start_time.in_milliseconds() == 300


@pytest.mark.parametrize(
    ("edit", "args", "words"),
    [
        (lambda s: s.replace("00:00:02,600 --> 00:00:04,300", "00:00:02,600 -> 00:00:04,300"), [],
         "cue 2 (line 6): '00:00:02,600 -> 00:00:04,300' is not a timing line"),
        (lambda s: s.replace("[calm]", "[sleepy]"), [], f"{FIRST}: unknown style 'sleepy'"),
        (lambda s: s.replace("[calm]", "[calm 2]"), [], f"{FIRST}: intensity 2 must be"),
        (lambda s: "", [], "the subtitle file is empty"),
        (lambda s: s, ["--style", "sleepy"], "unknown style 'sleepy'"),
        (lambda s: s, ["--intensity", "3"], "intensity must be between 0 and 1"),
        (lambda s: s, ["--speaker", "Alice"], "--speaker 'Alice': write LABEL=VOICE"),
        (lambda s: s, ["--speaker", "Alice=nobody"], "speaker 'Alice': unknown voice 'nobody'"),
        (lambda s: s, ["--voice", "nobody"], "unknown voice 'nobody'"),
        (lambda s: s, ["--format", "xyz"], "unknown audio format 'xyz'"),
        (lambda s: s, ["--sample-rate", "100"], "sample_rate must be between 8000 and 48000 Hz, got 100"),
        (lambda s: s, ["--captions", "c.txt"], "captions go to a .srt or .vtt file"),
        (lambda s: "1\n00:00:04,000 --> 00:00:05,200\n" + "好的，" * 30, [],
         "cue 1 (00:00:04,000 --> 00:00:05,200): its text takes about 13.4 s to say"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_cue_or_option(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, edit: object, args: list[str], words: str
) -> None:
    monkeypatch.setenv("VOXFLOW_TEST_ENGINE", "tone")  # no model is needed to find what is wrong
    (workdir / "bad.srt").write_text(edit(THREE), encoding="utf-8")  # type: ignore[operator]
    run = CliRunner().invoke(APP, ["dub", "bad.srt", "-o", "bad.wav", *args])
    assert run.exit_code == 2, run.output
    assert words in " ".join(run.output.split()) and "Traceback" not in run.output
    assert not (workdir / "bad.wav").exists() and not (workdir / "bad.wav.part").exists()


def test_unreadable_files_exit_2(workdir: Path) -> None:
    (workdir / "latin1.srt").write_bytes("1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n".encode("latin-1"))
    run = CliRunner().invoke(APP, ["dub", "latin1.srt", "-c", "voxflow.yaml"])
    assert run.exit_code == 2 and "latin1.srt is not valid UTF-8 (byte 0xe9" in run.output
    run = CliRunner().invoke(APP, ["dub", "missing.srt", "-c", "voxflow.yaml"])
    assert run.exit_code == 2 and "cannot read missing.srt" in run.output
