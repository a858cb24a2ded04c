"""`voxflow feishu check|subscribe|poll`, and the webhook inside the real app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from feishu_helpers import APP, Feishu, tone_engine
from typer.testing import CliRunner

from connectors.feishu import routes
from integrator.app import create_app
from integrator.cli import cli_app
from integrator.config import load_settings

app = cli_app()  # the command with the installed connectors

WRITES = (
    "records.update",
    "records.batch_update",
    "medias.upload_all",
    "medias.upload_prepare",
    "im.messages",
)


def write_config(feishu: Feishu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Path:
    """A config.yaml as a person writes it: secrets left to the environment."""
    monkeypatch.setenv("FEISHU_APP_SECRET", feishu.fake.app_secret)
    monkeypatch.setenv("FEISHU_VERIFICATION_TOKEN", feishu.fake.verification_token)
    monkeypatch.setenv("FEISHU_ENCRYPT_KEY", feishu.fake.encrypt_key)
    section = {
        "enabled": True,
        "domain": feishu.fake.url,
        "app_id": feishu.fake.app_id,
        "tables": [{"app_token": APP, "table_id": feishu.table_id}],
        **extra,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "feishu": section}), encoding="utf-8")
    return path


def run(*args: str) -> Any:
    """The command's result, its output unwrapped (rich wraps at the terminal width)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    result.output_text = " ".join(result.output.split())
    return result


def test_check_lists_what_the_next_poll_would_read_and_writes_nothing(
    feishu: Feishu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(feishu, tmp_path, monkeypatch)
    first = feishu.add("第一条纪要。")
    feishu.add([{"type": "text", "text": "Rich "}, {"type": "mention", "text": "@Ann", "name": "Ann"}])
    feishu.add("失败过。", Status="Failed")
    result = run("feishu", "check", "-c", str(config))
    assert result.exit_code == 0, result.output_text
    assert "credentials" in result.output_text and "2 record(s) to read" in result.output_text
    assert first in result.output_text and "Rich @Ann" in result.output_text
    assert all(feishu.calls(endpoint) == 0 for endpoint in WRITES)


def test_check_names_missing_and_mistyped_columns(
    feishu: Feishu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {"text": ["Minutes", "Notes"], "duration": "Audio", "attachment": "Title"}
    config = write_config(feishu, tmp_path, monkeypatch, fields=fields)
    result = run("feishu", "check", "-c", str(config))
    assert result.exit_code == 1
    assert "fields.text[1]: no column named 'Notes'" in result.output_text
    assert "fields.duration: column 'Audio' is attachment, needs number or text" in result.output_text
    assert "fields.attachment: column 'Title' is text, needs attachment" in result.output_text


def test_check_reports_bad_credentials_and_an_unknown_view(
    feishu: Feishu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(
        feishu,
        tmp_path,
        monkeypatch,
        tables=[{"app_token": APP, "table_id": feishu.table_id, "view_id": "vewNope"}],
    )
    result = run("feishu", "check", "-c", str(config))
    assert result.exit_code == 1 and "[1254030]" in result.output_text
    monkeypatch.setenv("FEISHU_APP_SECRET", "wrong")
    result = run("feishu", "check", "-c", str(config))
    assert result.exit_code == 1 and "app secret invalid" in result.output_text


def test_subscribe_subscribes_each_base_once(
    feishu: Feishu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = feishu.fake.add_table(APP, [("Minutes", 1)])
    config = write_config(
        feishu,
        tmp_path,
        monkeypatch,
        tables=[{"app_token": APP, "table_id": feishu.table_id}, {"app_token": APP, "table_id": other}],
    )
    result = run("feishu", "subscribe", "-c", str(config))
    assert result.exit_code == 0, result.output_text
    assert feishu.fake.subscriptions == {APP} and feishu.calls("files.subscribe") == 1


def test_poll_queues_jobs(feishu: Feishu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(feishu, tmp_path, monkeypatch)
    rid = feishu.add("排队。")
    result = run("feishu", "poll", "-c", str(config))
    assert result.exit_code == 0, result.output_text
    assert "1 queued" in result.output_text and feishu.record(rid)["Status"] == "Processing"
    result = run("feishu", "poll", "-c", str(config))
    assert "0 queued, 1 already waiting" in result.output_text


def test_the_webhook_needs_no_api_key_but_a_valid_signature(
    make_feishu: Callable[..., Feishu], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feishu = make_feishu()
    config = write_config(feishu, tmp_path, monkeypatch, mode="events")
    settings = load_settings(config)
    settings.server.api_keys = ["k-1"]
    client = TestClient(create_app(settings, tone_engine()))
    headers, body = feishu.fake.signed_request(
        {"type": "url_verification", "challenge": "ch", "token": feishu.fake.verification_token}
    )
    # Feishu cannot send our API key: the webhook is checked by its signature instead
    answer = client.post(routes.EVENTS_PATH, content=body, headers=headers)
    assert answer.json() == {"challenge": "ch"}
    # url_verification is unsigned: its verification token is what proves it came from Feishu
    headers, body = feishu.fake.signed_request(
        {"type": "url_verification", "challenge": "ch", "token": "forged"}
    )
    assert client.post(routes.EVENTS_PATH, content=body, headers=headers).status_code == 401
    assert client.get("/v1/jobs").status_code == 401  # everything else still needs a key
