"""Bitable source and sink against the fake: paging, claims, uploads whole and in blocks, one update."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from feishu_helpers import APP, COLUMNS, Feishu

from connectors.feishu import fake as fk
from connectors.feishu.bitable import Bitable, read_minutes
from connectors.feishu.client import FeishuError


def bitable(feishu: Feishu) -> Bitable:
    return Bitable(feishu.client(), feishu.cfg)


def test_pending_pages_through_every_record_that_needs_audio(feishu: Feishu) -> None:
    wanted = {feishu.add(f"第{i}条纪要。") for i in range(230)}
    wanted.add(feishu.add("已标记待处理。", Status="Pending"))
    wanted.add(feishu.add("认领了，但任务丢了。", Status="Processing"))
    feishu.add("失败过的不再自动重试。", Status="Failed")
    feishu.add("")  # no text yet
    done = feishu.add("已有音频。")
    feishu.fake.media["boxDone"] = fk.Media("voxflow-0000000000000000.mp3", b"x", "bitable_file", APP)
    audio = [{"file_token": "boxDone"}]
    feishu.fake.edit_record(APP, feishu.table_id, done, {"Audio": audio, "Status": "Done"})

    found = list(bitable(feishu).pending(feishu.cfg.tables[0]))
    assert {m.record_id for m in found} == wanted
    assert feishu.calls("records.search") == 3  # 232 records at 100 a page


def test_pending_reads_rich_text_and_per_record_voice_and_speed(make_feishu: Callable[..., Feishu]) -> None:
    columns = [*COLUMNS, ("Voice", fk.SINGLE_SELECT), ("Speed", fk.NUMBER)]
    feishu = make_feishu(columns, fields={"text": ["Title", "Minutes"], "voice": "Voice", "speed": "Speed"})
    minutes = [{"type": "text", "text": "Ship it "}, {"type": "mention", "text": "@Bob", "name": "Bob"}]
    rid = feishu.add(minutes, Title="Weekly", Voice="en-piper-joe", Speed=1.25)
    [m] = bitable(feishu).pending(feishu.cfg.tables[0])
    assert (m.record_id, m.text, m.voice, m.speed) == (rid, "Weekly\n\nShip it @Bob", "en-piper-joe", 1.25)


def test_claim_marks_records_processing_in_batches_of_500(feishu: Feishu) -> None:
    ids = [feishu.add(f"纪要{i}") for i in range(501)]
    bitable(feishu).claim(feishu.cfg.tables[0], ids)
    assert feishu.calls("records.batch_update") == 2
    assert {feishu.record(r)["Status"] for r in ids} == {"Processing"}


def test_small_files_go_whole_and_large_ones_in_blocks(make_feishu: Callable[..., Feishu]) -> None:
    feishu = make_feishu(fake_options={"upload_all_limit": 1000, "block_size": 256}, upload_all_limit=1000)
    small, large = bytes(range(256)) * 3, bytes(range(251)) * 9
    b = bitable(feishu)
    assert feishu.fake.media[b.uploads.upload(APP, "a.mp3", small)].data == small
    assert feishu.calls("medias.upload_all") == 1 and feishu.calls("medias.upload_prepare") == 0
    token = b.uploads.upload(APP, "b.mp3", large)
    assert feishu.fake.media[token].data == large
    assert feishu.calls("medias.upload_part") == 9 and feishu.calls("medias.upload_finish") == 1


def test_a_refused_part_is_sent_again_with_a_fresh_body(make_feishu: Callable[..., Feishu]) -> None:
    feishu = make_feishu(fake_options={"upload_all_limit": 100, "block_size": 100}, upload_all_limit=100)
    data = b"0123456789" * 35
    feishu.fake.faults.inject("medias.upload_part", fk.gateway_error(), nth=2)
    feishu.fake.faults.inject("medias.upload_part", fk.rate_limited(1), nth=3)
    token = bitable(feishu).uploads.upload(APP, "c.mp3", data)
    assert feishu.fake.media[token].data == data
    assert feishu.calls("medias.upload_part") == 6


def test_a_lower_limit_than_configured_falls_back_to_blocks(make_feishu: Callable[..., Feishu]) -> None:
    feishu = make_feishu(fake_options={"upload_all_limit": 100, "block_size": 64})
    token = bitable(feishu).uploads.upload(APP, "d.mp3", b"z" * 300)
    assert feishu.fake.media[token].data == b"z" * 300
    assert feishu.calls("medias.upload_all") == 1 and feishu.calls("medias.upload_part") == 5


def test_uploads_of_one_app_never_overlap(make_feishu: Callable[..., Feishu]) -> None:
    feishu = make_feishu(fake_options={"upload_delay_s": 0.05})
    errors: list[Exception] = []

    def upload(i: int) -> None:
        try:
            bitable(feishu).uploads.upload(APP, f"{i}.mp3", b"x" * 10)  # separate clients, one app: one gate
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert feishu.fake.max_concurrent_uploads == 1
    assert feishu.calls("medias.upload_all") == 6  # no 1061045 refusals, so no retries


def test_deliver_writes_attachment_status_and_duration_in_one_update(feishu: Feishu) -> None:
    rid = feishu.add("纪要。", Error="上次失败了")
    table = feishu.cfg.tables[0]
    b = bitable(feishu)
    first = read_minutes(feishu.cfg, table, rid, feishu.record(rid))
    b.deliver(first, b"first", 1.234)
    assert feishu.calls("records.update") == 1
    record = feishu.record(rid)
    assert record["Status"] == "Done" and record["Duration"] == 1.23 and "Error" not in record
    [cell] = record["Audio"]
    assert cell["name"] == f"voxflow-{first.hash}.mp3"
    assert feishu.fake.media[cell["file_token"]].data == b"first"
    assert read_minutes(feishu.cfg, table, rid, record).up_to_date

    feishu.fake.edit_record(APP, feishu.table_id, rid, {"Minutes": "改过的纪要。"})
    second = read_minutes(feishu.cfg, table, rid, feishu.record(rid))
    assert not second.up_to_date
    b.deliver(second, b"second", 2.0)
    assert feishu.fake.attachment_bytes(APP, feishu.table_id, rid, "Audio") == [b"second"]  # replaced


def test_fail_writes_status_and_a_short_reason(feishu: Feishu) -> None:
    rid = feishu.add()
    bitable(feishu).fail(feishu.cfg.tables[0], rid, "unknown voice 'x'. " * 100)
    record = feishu.record(rid)
    assert record["Status"] == "Failed" and len(record["Error"][0]["text"]) == 500


def test_writing_an_unknown_column_is_a_permanent_error(make_feishu: Callable[..., Feishu]) -> None:
    feishu = make_feishu(fields={"duration": "Length"})
    rid = feishu.add()
    m = read_minutes(feishu.cfg, feishu.cfg.tables[0], rid, feishu.record(rid))
    with pytest.raises(FeishuError) as info:
        bitable(feishu).deliver(m, b"x", 1.0)
    assert info.value.code == 1254045 and not info.value.retryable


def test_schema_pages_and_maps_field_ids(make_feishu: Callable[..., Feishu]) -> None:
    feishu = make_feishu([*COLUMNS, *((f"Extra {i}", fk.TEXT) for i in range(120))])
    b = bitable(feishu)
    table = feishu.cfg.tables[0]
    schema = b.schema(table)
    assert len(schema.columns) == 126 and feishu.calls("fields.list") == 2
    audio = schema.by_name("Audio")
    assert audio is not None and b.column_name(table, audio.field_id) == "Audio"
    assert b.column_name(table, "fldUnknown") is None and feishu.calls("fields.list") == 4  # refreshed once
