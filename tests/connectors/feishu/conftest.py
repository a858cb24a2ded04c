"""Fixtures for the Feishu connector: the fake Open API on loopback and the real SDK pointed at it."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.feishu.fake import FakeFeishu

# The test folders are not packages: make the helpers beside this file importable by name.
sys.path.insert(0, str(Path(__file__).parent))
from feishu_helpers import APP, COLUMNS, Feishu, feishu_config


@pytest.fixture
def make_feishu() -> Iterator[Callable[..., Feishu]]:
    fakes: list[FakeFeishu] = []

    def make(columns: list[tuple[str, int]] | None = None, *, fake_options: dict[str, Any] | None = None,
             **cfg: Any) -> Feishu:
        # A fresh app id per fake: the SDK caches tokens process-wide by app id.
        fake = FakeFeishu(f"cli_{uuid.uuid4().hex[:12]}", "s3cret", encrypt_key="ek-" + uuid.uuid4().hex[:8],
                          verification_token="vt-" + uuid.uuid4().hex[:8], **(fake_options or {}))
        fake.start()
        fakes.append(fake)
        table_id = fake.add_table(APP, columns or COLUMNS)
        return Feishu(fake, table_id, feishu_config(fake, table_id, **cfg), [])

    yield make
    for fake in fakes:
        fake.stop()


@pytest.fixture
def feishu(make_feishu: Callable[..., Feishu]) -> Feishu:
    return make_feishu()
