"""A Style (and Intensity) column on Feishu records, through the real SDK against the fake Open API:
styled records are spoken in their style (heard by Praat on eSpeak), and a record with a bad style
or intensity is marked failed with the column named while the poller goes on."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import soundfile as sf
from feishu_helpers import APP, COLUMNS, Feishu, Stack

from connectors.feishu import fake as fk
from connectors.feishu.check import column_problems
from tts_engine.engine import Engine
from tts_engine.prosody.measure import Heard, hear

COLUMNS_STYLED = [*COLUMNS, ("Style", fk.SINGLE_SELECT), ("Intensity", fk.NUMBER)]
FIELDS = {"style": "Style", "intensity": "Intensity"}
TEXT = "今天下午三点开会，讨论新产品的发布计划。请大家准时参加。"


@pytest.fixture
def styled(
    make_feishu: Callable[..., Feishu], tmp_path: Path, engine: Engine
) -> Iterator[tuple[Feishu, Stack]]:
    feishu = make_feishu(COLUMNS_STYLED, fields=FIELDS)
    stack = Stack(feishu, tmp_path, engine, fields=FIELDS, voice="espeak-zh", format="wav")
    yield feishu, stack
    stack.close()


def heard(feishu: Feishu, record_id: str) -> Heard:
    [audio] = feishu.fake.attachment_bytes(APP, feishu.table_id, record_id, "Audio")
    samples, rate = sf.read(io.BytesIO(audio), dtype="float32")
    return hear(samples, rate)


def test_the_style_column_moves_the_prosody(styled: tuple[Feishu, Stack]) -> None:
    feishu, stack = styled
    plain = feishu.add(TEXT)
    full = feishu.add(TEXT, Style="开心", Intensity=100)  # a percentage
    half = feishu.add(TEXT, Style="cheerful", Intensity=0.5)
    stack.start(workers=1)
    assert stack.runtime.poll().queued == 3
    stack.wait_jobs(3)
    assert {feishu.record(r)["Status"] for r in (plain, full, half)} == {"Done"}
    base = heard(feishu, plain)
    cheerful, halfway = heard(feishu, full).against(base), heard(feishu, half).against(base)
    assert cheerful["pitch_st"] >= 2.0 and cheerful["range"] >= 1.2
    assert 0 < halfway["pitch_st"] < cheerful["pitch_st"]
    assert {(j.spec.style, j.spec.intensity) for j in stack.jobs()} == {
        (None, 1.0), ("开心", 1.0), ("cheerful", 0.5)
    }


def test_a_changed_style_makes_the_audio_again(styled: tuple[Feishu, Stack]) -> None:
    feishu, stack = styled
    rid = feishu.add(TEXT, Style="sad")
    stack.runtime.poll()
    feishu.fake.edit_record(APP, feishu.table_id, rid, {"Style": "calm"})
    assert stack.runtime.poll().queued == 1
    assert sorted(j.spec.style or "" for j in stack.jobs()) == ["calm", "sad"]


def test_bad_styles_and_intensities_fail_their_record_naming_the_column(styled: tuple[Feishu, Stack]) -> None:
    feishu, stack = styled
    sleepy = feishu.add(TEXT, Style="sleepy")
    strong = feishu.add(TEXT, Style="sad", Intensity=300)
    fine = feishu.add(TEXT, Style="calm")
    report = stack.runtime.poll()  # the poller goes on past the bad records
    assert (report.failed, report.queued) == (2, 1)
    assert feishu.record(sleepy)["Status"] == "Failed"
    assert feishu.record(sleepy)["Error"][0]["text"].startswith("Style: unknown style 'sleepy'")
    assert feishu.record(strong)["Status"] == "Failed"
    assert "intensity" in feishu.record(strong)["Error"][0]["text"]
    assert feishu.record(fine)["Status"] == "Processing"
    [job] = stack.jobs()
    assert job.spec.style == "calm"


def test_check_wants_a_select_or_text_style_column(
    make_feishu: Callable[..., Feishu], tmp_path: Path
) -> None:
    feishu = make_feishu([*COLUMNS, ("Style", fk.NUMBER)], fields=FIELDS)
    stack = Stack(feishu, tmp_path, fields=FIELDS)
    try:
        table = stack.runtime.cfg.tables[0]
        connector = stack.runtime.connector
        problems = column_problems(connector, table, connector.bitable.schema(table))
        assert "fields.style: column 'Style' is number, needs single select or text" in problems
        assert any(p.startswith("fields.intensity: no column named 'Intensity'") for p in problems)
    finally:
        stack.close()


def test_records_without_a_style_take_the_configured_one(styled: tuple[Feishu, Stack]) -> None:
    feishu, stack = styled
    stack.runtime.cfg.style = "serious"
    plain, own = feishu.add(TEXT), feishu.add(TEXT, Style="gentle")
    stack.runtime.poll()
    assert {j.spec.style for j in stack.jobs()} == {"serious", "gentle"}
    stack.runtime.cfg.style = "sleepy"  # a default that is not a style is named as the setting
    feishu.fake.edit_record(APP, feishu.table_id, plain, {"Minutes": TEXT + "再见。"})
    assert stack.runtime.poll().failed == 1
    assert feishu.record(plain)["Error"][0]["text"].startswith("feishu.style: unknown style 'sleepy'")
    assert feishu.record(own)["Status"] == "Processing"
