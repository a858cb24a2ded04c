"""The structure the code keeps: three floors importing only downward, no import circles, no
string naming a higher floor, no module over 400 lines. ``./dev lint`` runs the same contracts."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ["tts_engine", "integrator", "connectors"]  # each may import only those before it
MAX_LINES = 400


def _lint_imports(tree: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # In a child process: import-linter reconfigures logging, which later tests' caplog relies on.
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_hold() -> None:
    run = _lint_imports(ROOT, {**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout


def _contracts_on(tree: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for floor in FLOORS:
        (tree / floor).mkdir(exist_ok=True)
        (tree / floor / "__init__.py").touch()
    pyproject = (ROOT / "pyproject.toml").read_text()
    (tree / "pyproject.toml").write_text(pyproject[pyproject.index("[tool.importlinter]") :])
    return _lint_imports(tree, {**os.environ, "PYTHONPATH": str(tree)})


def test_the_contracts_catch_a_lazy_upward_import(tmp_path: Path) -> None:
    run = _contracts_on(tmp_path, {
        "integrator/config.py": "def load():\n    from connectors import feishu\n    return feishu\n",
        "connectors/feishu.py": "import integrator.config\n",
    })
    assert run.returncode != 0
    assert "integrator.config -> connectors.feishu" in run.stdout


def test_the_contracts_catch_a_circle(tmp_path: Path) -> None:
    run = _contracts_on(tmp_path, {
        "connectors/audiobook/__init__.py": "",
        "connectors/audiobook/book.py": "def read():\n    from . import epub\n",
        "connectors/audiobook/epub.py": "from .book import read\n",
    })
    assert run.returncode != 0
    assert "No cycles are allowed in connectors.audiobook" in run.stdout


def _higher_names(text: str, floor: str) -> list[str]:
    """String constants naming a module of a floor above ``floor`` (an import by string)."""
    higher = FLOORS[FLOORS.index(floor) + 1 :]
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            head = node.value.split(":")[0].split(".")[0]
            if head in higher and (node.value == head or node.value[len(head)] in ".:"):
                found.append(node.value)
    return found


def test_no_lower_floor_names_a_higher_one_in_a_string() -> None:
    found = {
        str(path.relative_to(ROOT)): names
        for floor in FLOORS
        for path in sorted((ROOT / floor).rglob("*.py"))
        if (names := _higher_names(path.read_text(encoding="utf-8"), floor))
    }
    assert found == {}


def test_the_string_check_can_fail() -> None:
    source = 'KINDS = {"book": "connectors.audiobook.job:AudiobookKind"}\nDOC = "connectors are plugins"\n'
    assert _higher_names(source, "integrator") == ["connectors.audiobook.job:AudiobookKind"]


@pytest.mark.parametrize("floor", FLOORS)
def test_no_module_is_over_400_lines(floor: str) -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted((ROOT / floor).rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
