"""What every ``voxflow`` sub-command shares: the --config option, errors in words, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from .config import ConfigError, Settings
from .plugins import PluginError, load_installed_settings

err = Console(stderr=True, soft_wrap=True)
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as an error (no traceback) and exit with ``code``."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def settings_or_fail(config: Path | None) -> Settings:
    try:
        return load_installed_settings(config)
    except (ConfigError, PluginError) as exc:
        fail(str(exc))
