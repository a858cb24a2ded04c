"""`voxflow say --style --intensity --duration-s --duration-ratio` and `voxflow styles`, on eSpeak."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from integrator.cli import cli_app
from tts_engine.prosody.measure import Heard, hear

app = cli_app()

runner = CliRunner()
TEXT = "The meeting starts at three this afternoon. Please bring the quarterly report."


def say(tmp_path: Path, name: str, *args: str) -> Heard:
    out = tmp_path / f"{name}.wav"
    result = runner.invoke(app, ["say", TEXT, "--voice", "espeak-en", "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    samples, rate = sf.read(out, dtype="float32")
    return hear(samples, rate)


def test_style_and_intensity_move_the_prosody(tmp_path: Path) -> None:
    plain = say(tmp_path, "plain")
    sad = say(tmp_path, "sad", "--style", "悲伤").against(plain)
    half = say(tmp_path, "half", "--style", "sad", "--intensity", "0.5").against(plain)
    assert sad["pitch_st"] <= -1.5 and sad["range"] <= 0.8 and sad["rate"] <= 0.9
    assert sad["pitch_st"] < half["pitch_st"] < 0
    assert sad["rate"] < half["rate"] < 1


def test_duration_options_fit_the_length(tmp_path: Path) -> None:
    plain = say(tmp_path, "plain")
    assert say(tmp_path, "fixed", "--duration-s", "2.5").duration_s == pytest.approx(2.5, abs=0.001)
    ratio = say(tmp_path, "ratio", "--duration-ratio", "1.4").duration_s
    assert ratio == pytest.approx(1.4 * plain.duration_s, rel=0.02)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--style", "sleepy"], "unknown style 'sleepy'"),
        (["--style", "sad", "--intensity", "3"], "intensity must be between 0 and 1"),
        (["--duration-s", "0"], "duration_s must be more than 0"),
        (["--duration-ratio", "3"], "duration_ratio must be at least 0.5 and at most 2"),
    ],
)
def test_bad_values_exit_2_naming_the_option(tmp_path: Path, args: list[str], words: str) -> None:
    result = runner.invoke(app, ["say", TEXT, "--voice", "espeak-en", "-o", str(tmp_path / "x.wav"), *args])
    assert result.exit_code == 2
    assert words in result.output
    assert not (tmp_path / "x.wav").exists()


def test_styles_lists_the_table() -> None:
    result = runner.invoke(app, ["styles"])
    assert result.exit_code == 0
    for name in ("cheerful", "开心", "sad", "angry", "calm", "serious", "gentle"):
        assert name in result.output


def test_styles_from_the_config_file_are_usable(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("engine:\n  styles:\n    whisper: {gain_db: -9, aliases: [耳语]}\n", encoding="utf-8")
    plain = say(tmp_path, "plain")
    quiet = say(tmp_path, "quiet", "--style", "耳语", "--config", str(config)).against(plain)
    assert quiet["gain_db"] == pytest.approx(-9, abs=1)


def test_a_bad_style_in_the_config_is_refused_at_load(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("engine:\n  styles:\n    sad: {range: 9}\n", encoding="utf-8")
    result = runner.invoke(app, ["styles", "--config", str(config)])
    assert result.exit_code == 2
    assert "styles.sad" in result.output and "range must be between" in result.output
