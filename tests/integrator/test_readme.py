"""The README's `voxflow` command lines are commands: each names real sub-commands and options, one
command a line (a `|` between two of them would read as a shell pipeline)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from integrator.cli import cli_app

app = cli_app()  # the command with the installed connectors

README = Path(__file__).resolve().parents[2] / "README.md"
_OPTIONAL = re.compile(r"\[[^\]]*\]")  # `[--port 8080]`: usage notation for what may be left out


def command_lines() -> list[str]:
    return [line.strip() for line in README.read_text(encoding="utf-8").splitlines()
            if line.strip().startswith("voxflow ")]  # fmt: skip


def commands(line: str) -> list[list[str]]:
    """The commands of a line, split where the shell runs one after another (``&&``, ``;``)."""
    out: list[list[str]] = [[]]
    for token in shlex.split(_OPTIONAL.sub("", line), comments=True):
        if token in ("&&", ";"):
            out.append([])
        else:
            out[-1].append(token)
    return [c for c in out if c]


def test_the_readme_shows_commands() -> None:
    assert len(command_lines()) >= 10


@pytest.mark.parametrize("line", command_lines())
def test_each_readme_command_line_parses(line: str) -> None:
    for command in commands(line):
        assert command[0] == "voxflow", line
        assert "|" not in command, f"one command a line, not a pipeline: {line}"
        # --help is eager: the parser still checks every sub-command and option name, runs nothing.
        result = CliRunner().invoke(app, [*command[1:], "--help"])
        assert result.exit_code == 0, f"{line}\n{result.output}"
