"""``voxflow feishu check``: credentials, tables, column names and types, and the next poll's work.

Reads only: nothing is written to Feishu or queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .bitable import Minutes, Schema
from .client import FeishuError
from .config import TableConfig
from .connector import FeishuConnector
from .fields import (
    ATTACHMENT,
    DURATION_TYPES,
    ERROR_TYPES,
    INTENSITY_TYPES,
    SPEED_TYPES,
    STATUS_TYPES,
    STYLE_TYPES,
    TEXT_TYPES,
    TYPE_NAMES,
    VOICE_TYPES,
)


@dataclass
class TableCheck:
    table: TableConfig
    problems: list[str] = field(default_factory=list)
    pending: list[Minutes] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def column_problems(connector: FeishuConnector, table: TableConfig, schema: Schema) -> list[str]:
    names = connector.cfg.fields_for(table)
    wanted: list[tuple[str, str | None, set[int]]] = [
        (f"fields.text[{i}]", n, TEXT_TYPES) for i, n in enumerate(names.text)
    ]
    wanted += [
        ("fields.attachment", names.attachment, {ATTACHMENT}),
        ("fields.status", names.status, STATUS_TYPES),
        ("fields.duration", names.duration, DURATION_TYPES),
        ("fields.error", names.error, ERROR_TYPES),
        ("fields.voice", names.voice, VOICE_TYPES),
        ("fields.speed", names.speed, SPEED_TYPES),
        ("fields.style", names.style, STYLE_TYPES),
        ("fields.intensity", names.intensity, INTENSITY_TYPES),
    ]
    problems = []
    for key, name, types in wanted:
        if not name:
            continue
        col = schema.by_name(name)
        if col is None:
            problems.append(
                f"{key}: no column named {name!r} (columns: {', '.join(c.name for c in schema.columns)})"
            )
        elif col.type not in types:
            allowed = " or ".join(sorted(TYPE_NAMES.get(t, str(t)) for t in types))
            problems.append(
                f"{key}: column {name!r} is {TYPE_NAMES.get(col.type, col.type)}, needs {allowed}"
            )
    return problems


def check(connector: FeishuConnector) -> tuple[list[str], list[TableCheck]]:
    """Problems with the app as a whole, and per table its problems and pending records."""
    problems = connector.cfg.problems()
    if problems:
        return problems, []
    try:
        connector.client.check_credentials()
    except FeishuError as exc:
        return [f"credentials: {exc}"], []
    results = []
    for table in connector.cfg.tables:
        result = TableCheck(table)
        results.append(result)
        try:
            result.problems = column_problems(connector, table, connector.bitable.schema(table, refresh=True))
            if result.ok:
                result.pending = list(connector.bitable.pending(table))
        except FeishuError as exc:
            result.problems.append(str(exc))
    return [], results
