"""``policy:`` settings: composed once per process, plug-in checks found by entry point or path,
a bad deny list stopping start-up with its line, and `voxflow say` refusing with exit 2."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from integrator import policy as policy_module
from integrator.cli import cli_app
from integrator.config import ConfigError, PolicyConfig
from integrator.policy import CHECKS_GROUP, PolicyError, text_policy
from integrator.runtime import TEST_ENGINE_ENV
from integrator.services import compose
from tests.integrator.policy_helpers import CHECK, with_policy
from tests.integrator.servekit import tone_settings
from tts_engine.errors import TextRefusedError


def test_a_check_named_module_function_runs_after_the_deny_list(tmp_path: Path) -> None:
    policy = compose(with_policy(tone_settings(), tmp_path)).policy
    with pytest.raises(TextRefusedError, match="deny_list"):
        policy.screen("ProjectX says badword")  # the deny list comes first
    with pytest.raises(TextRefusedError, match="secrets"):
        policy.screen("ProjectX ships")
    policy.screen("The product ships")
    assert policy.refused() == {"deny_list": 1, "secrets": 1}


def test_a_check_registered_as_an_entry_point_is_named_by_its_entry_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = [EntryPoint("no-secrets", CHECK, CHECKS_GROUP)]
    monkeypatch.setattr(
        policy_module, "entry_points", lambda group: installed if group == CHECKS_GROUP else []
    )
    policy = text_policy(PolicyConfig(checks=["no-secrets"]))
    with pytest.raises(TextRefusedError, match="secrets"):
        policy.screen("ProjectX")
    with pytest.raises(PolicyError, match=r"'moderation' is neither module:function nor .*\(no-secrets\)"):
        text_policy(PolicyConfig(checks=["moderation"]))


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("tests.integrator.no_such_module:check", "cannot load 'tests.integrator.no_such_module:check'"),
        ("tests.integrator.policy_helpers:missing", "cannot load .*missing"),
        ("tests.integrator.policy_helpers:DENY", "is not callable"),
    ],
)
def test_a_check_that_cannot_be_loaded_stops_start_up(spec: str, words: str) -> None:
    with pytest.raises(PolicyError, match=words):
        text_policy(PolicyConfig(checks=[spec]))


def test_a_bad_regex_in_the_deny_list_stops_composition_naming_the_file_and_line(tmp_path: Path) -> None:
    deny = tmp_path / "deny.txt"
    deny.write_text("fine\n/[unclosed/\n", encoding="utf-8")
    settings = tone_settings().model_copy(update={"policy": PolicyConfig(deny_list=deny)})
    with pytest.raises(
        ConfigError, match=r"policy\.deny_list: .*deny\.txt, line 2: invalid regular expression"
    ):
        compose(settings)


def test_without_policy_settings_every_text_passes() -> None:
    policy = compose(tone_settings()).policy
    assert policy.checks == ()
    policy.screen("badword ProjectX 杀人")


# -- voxflow say ------------------------------------------------------------------
def config_file(tmp_path: Path, deny: str) -> Path:
    (tmp_path / "deny.txt").write_text(deny, encoding="utf-8")
    path = tmp_path / "voxflow.yaml"
    path.write_text(
        yaml.safe_dump({"data_dir": str(tmp_path), "policy": {"deny_list": str(tmp_path / "deny.txt")}})
    )
    return path


def test_say_exits_2_naming_the_rule_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_ENGINE_ENV, "tone")
    config = config_file(tmp_path, "[violence]\n杀人\n")
    out = tmp_path / "said.wav"
    result = CliRunner().invoke(cli_app([]), ["say", "他们要殺人。", "-o", str(out), "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "text refused by policy rule 'violence'" in result.output and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob("*.part"))

    fine = CliRunner().invoke(cli_app([]), ["say", "今天开会。", "-o", str(out), "--config", str(config)])
    assert fine.exit_code == 0, fine.output
    assert out.stat().st_size > 1000


def test_say_with_a_bad_deny_list_exits_2_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_ENGINE_ENV, "tone")
    config = config_file(tmp_path, "# ok\n/(oops/\n")
    result = CliRunner().invoke(
        cli_app([]), ["say", "你好。", "-o", str(tmp_path / "x.wav"), "--config", str(config)]
    )
    assert result.exit_code == 2
    assert "line 2: invalid regular expression /(oops/" in " ".join(result.output.split())
