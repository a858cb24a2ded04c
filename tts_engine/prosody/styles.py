"""Named speaking styles: each a set of prosody targets, reached by degrees with an intensity.

The built-in table is documented in the README ("Speaking styles"); settings may tune any of its
numbers or add styles (``engine.styles``), and the engine gets the result as a value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from tts_engine.errors import InvalidOptionError

from .targets import NEUTRAL, Targets

NEUTRAL_STYLE = "neutral"


@dataclass(frozen=True)
class Style:
    """A style at intensity 1; ``aliases`` are other names it answers to (its Chinese name)."""

    name: str
    targets: Targets
    aliases: tuple[str, ...] = ()
    description: str = ""

    def at(self, intensity: float) -> Targets:
        return self.targets.scaled(intensity)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "description": self.description,
            **self.targets.as_dict(),
        }


def _style(name: str, alias: str, description: str, **targets: float) -> Style:
    return Style(name, Targets(**targets), (alias,), description)


# Chosen from measurements of speech (Praat) and of what listeners and Whisper still accept: sizes
# sit a little beyond what the checks ask at intensity 1 (cheerful ≥ +2 st, range ≥ 1.2×; sad ≤ −1.5
# st, ≤ 0.8×, ≤ 0.9× pace; angry ≥ +3 dB, ≥ 1.05× pace; calm ≤ 0.85× range, ≤ 0.95× pace), because
# a voice never quite reaches a target.
BUILTIN: tuple[Style, ...] = (
    _style(NEUTRAL_STYLE, "中性", "The voice as it is."),
    _style(
        "cheerful", "开心", "Bright and lively: higher, wider melody, a little faster.",
        pitch_st=3.0, range=1.4, rate=1.08, gain_db=1.5, pause=0.9,
    ),
    _style(
        "sad", "悲伤", "Low, flat and slow, softer, with longer pauses.",
        pitch_st=-2.5, range=0.7, rate=0.84, gain_db=-3.0, pause=1.35,
    ),
    _style(
        "angry", "愤怒", "Loud and fast, pitch raised and pushed, short pauses.",
        pitch_st=2.0, range=1.25, rate=1.12, gain_db=5.0, pause=0.75,
    ),
    _style(
        "calm", "平静", "Even and unhurried: narrower melody, slower, softer.",
        pitch_st=-1.0, range=0.75, rate=0.9, gain_db=-2.0, pause=1.25,
    ),
    _style(
        "serious", "严肃", "News reading: steady, a little lower and slower, firm.",
        pitch_st=-1.5, range=0.85, rate=0.95, gain_db=1.0, pause=1.1,
    ),
    _style(
        "gentle", "温柔", "Warm and soft: slightly higher, narrower, slower and quieter.",
        pitch_st=1.0, range=0.8, rate=0.92, gain_db=-4.0, pause=1.15,
    ),
)  # fmt: skip

_TARGET_KEYS = frozenset(f.name for f in fields(Targets))
_STYLE_KEYS = _TARGET_KEYS | {"aliases", "description"}


class StyleBook:
    """Styles by name or alias (case-insensitive). Build with :meth:`from_settings`."""

    def __init__(self, styles: tuple[Style, ...] = BUILTIN) -> None:
        self._styles = {s.name: s for s in styles}
        if NEUTRAL_STYLE not in self._styles:
            self._styles[NEUTRAL_STYLE] = BUILTIN[0]
        self._names: dict[str, str] = {}
        for style in self._styles.values():
            for key in (style.name, *style.aliases):
                other = self._names.setdefault(_key(key), style.name)
                if other != style.name:
                    raise InvalidOptionError(
                        f"style name {key!r} is used by both {other!r} and {style.name!r}", "styles"
                    )

    @classmethod
    def from_settings(cls, overrides: Mapping[str, Mapping[str, Any]] | None) -> StyleBook:
        """The built-in styles with ``overrides`` laid over them: ``{name: {pitch_st: .., range: ..,
        rate: .., gain_db: .., pause: .., aliases: [..], description: ..}}``. A new name adds a style
        (unset numbers are neutral's); raises InvalidOptionError naming a bad key or value."""
        styles = {s.name: s for s in BUILTIN}
        for raw_name, raw in (overrides or {}).items():
            name = _key(str(raw_name))
            if not name:
                raise InvalidOptionError("a style needs a name", "styles")
            if not isinstance(raw, Mapping):
                raise InvalidOptionError(f"styles.{name} must be a mapping of targets", "styles")
            unknown = set(raw) - _STYLE_KEYS
            if unknown:
                known = ", ".join(sorted(_STYLE_KEYS))
                raise InvalidOptionError(
                    f"styles.{name}: unknown key {sorted(unknown)[0]!r} (known: {known})", "styles"
                )
            base = styles.get(name, Style(name, NEUTRAL))
            try:
                targets = replace(base.targets, **{k: float(v) for k, v in raw.items() if k in _TARGET_KEYS})
            except (TypeError, ValueError) as exc:
                raise InvalidOptionError(f"styles.{name}: {exc}", "styles") from None
            except InvalidOptionError as exc:
                raise InvalidOptionError(f"styles.{name}: {exc}", "styles") from None
            aliases = raw.get("aliases", base.aliases)
            if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
                raise InvalidOptionError(f"styles.{name}.aliases must be a list of names", "styles")
            styles[name] = Style(name, targets, tuple(aliases), str(raw.get("description", base.description)))
        return cls(tuple(styles.values()))

    def names(self) -> list[str]:
        return list(self._styles)

    def styles(self) -> list[Style]:
        return list(self._styles.values())

    def get(self, name: str, field: str = "style") -> Style:
        """The style called ``name`` (or an alias of it); InvalidOptionError naming ``field`` if none."""
        found = self._names.get(_key(name))
        if found is None:
            known = ", ".join(_label(s) for s in self.styles())
            raise InvalidOptionError(f"unknown {field} {name!r}; known styles: {known}", field)
        return self._styles[found]

    def targets(self, name: str, intensity: float, field: str = "style") -> Targets:
        return self.get(name, field).at(check_intensity(intensity))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StyleBook) and self._styles == other._styles

    __hash__ = None  # type: ignore[assignment]


def check_intensity(value: float, field: str = "intensity") -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InvalidOptionError(f"{field} must be between 0 and 1, got {value!r}", field)
    return float(value)


def _label(style: Style) -> str:
    return f"{style.name} ({'/'.join(style.aliases)})" if style.aliases else style.name


def _key(name: str) -> str:
    return name.strip().lower()
