"""Configuration: embedded defaults, overlaid by a YAML file, overlaid by environment variables."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

ENV_FILE = "VOXFLOW_CONFIG"


class EngineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_voice: dict[str, str] = Field(default_factory=dict)
    preload: list[str] = Field(default_factory=list)
    max_chars: int = Field(200_000, gt=0)
    lexicon: Path | None = None
    device: str = Field("auto", pattern="^(auto|cpu|cuda)$")
    target_lufs: float = -20.0
    voices: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow")

    data_dir: Path = Path("./data")
    engine: EngineConfig = Field(default_factory=EngineConfig)  # type: ignore[arg-type]


class ConfigError(Exception):
    pass


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the top level must be a mapping")
    return data


def defaults() -> dict[str, Any]:
    text = resources.files("integrator").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return _read_yaml(text, "embedded defaults")


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults, then ``path`` (or $VOXFLOW_CONFIG, or ./config.yaml when present)."""
    data = defaults()
    chosen = path or os.environ.get(ENV_FILE)
    if chosen is None and Path("config.yaml").is_file():
        chosen = "config.yaml"
    if chosen is not None:
        file = Path(chosen)
        if not file.is_file():
            raise ConfigError(f"config file {file} does not exist")
        data = _merge(data, _read_yaml(file.read_text(encoding="utf-8"), str(file)))
    try:
        return Settings.model_validate(data)
    except Exception as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
