"""API keys stay secret: compared in constant time, never in the server's log (a real `voxflow serve`
subprocess, every way a key can arrive); a config file holding secrets that others can read is
warned about at start-up."""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from integrator.app import auth
from integrator.config import load_settings, secret_keys
from tests.integrator.serveproc import ServeProcess

KEYS = ("cfg-key-5cf1a8d2e4b7", "env-key-77b0c3e9aa41")
WRONG = "wrong-key-0d9e8f7a6b53"


def synthesize_over_ws(url: str, headers: dict[str, str] | None = None) -> list[str]:
    """Message types of one request on the stream route."""
    with connect(url, additional_headers=headers or {}, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "synthesize", "request_id": "a", "text": "hello there."}))
        types: list[str] = []
        while not types or types[-1] not in ("done", "error"):
            message = ws.recv(10)
            if isinstance(message, str):
                types.append(json.loads(message)["type"])
        return types


def test_api_keys_never_reach_the_server_log(tmp_path: Path) -> None:
    config = {"server": {"api_keys": [KEYS[0]]}, "jobs": {"workers": 0}}
    serve = ServeProcess(tmp_path, config, env={"VOXFLOW_API_KEYS": KEYS[1]})
    with serve:
        url, bearer = serve.url, {"Authorization": f"Bearer {KEYS[0]}"}
        assert httpx.get(f"{url}/v1/voices", headers=bearer).status_code == 200
        assert httpx.get(f"{url}/v1/voices?api_key={KEYS[1]}").status_code == 200
        spoken = httpx.post(f"{url}/v1/tts?api_key={KEYS[1]}&x=1", json={"text": "hi.", "format": "wav"})
        assert spoken.status_code == 200
        speech = {"model": "tts-1", "voice": "alloy", "input": "hello", "stream_format": "sse"}
        assert httpx.post(f"{url}/v1/audio/speech", headers=bearer, json=speech).status_code == 200
        assert httpx.get(f"{url}/v1/voices?api_key={WRONG}").status_code == 401
        assert httpx.get(f"{url}/v1/voices", headers={"Authorization": f"Bearer {WRONG}"}).status_code == 401
        assert httpx.get(f"{url}/v1/nothing?api_key={KEYS[1]}").status_code == 404
        stream = f"{serve.ws_url}/v1/tts/stream"
        assert synthesize_over_ws(f"{stream}?api_key={KEYS[1]}")[-1] == "done"
        assert synthesize_over_ws(stream, headers=bearer)[-1] == "done"
        with connect(f"{stream}?api_key={WRONG}") as ws:
            assert json.loads(ws.recv(10))["code"] == "invalid_api_key"
            with pytest.raises(ConnectionClosed):
                ws.recv(10)
    log = serve.output()
    # The lines that would carry a key are there: uvicorn logs each WebSocket handshake with its
    # query string, whatever access_log says; ours logs each request.
    assert '"WebSocket /v1/tts/stream?api_key=[redacted]" [accepted]' in log
    assert "GET /v1/voices 401" in log and "POST /v1/tts 200" in log
    for secret in (*KEYS, WRONG):
        assert secret not in log


def test_every_key_is_compared_digest_to_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    keys = ["short", "a-much-longer-key-than-the-others", "third"]
    assert auth.key_matches("short", keys)
    assert auth.key_matches("third", keys)
    assert not auth.key_matches("x" * 500, keys)
    # All three keys every time, whether the first, the last or none matches, and on digests of one
    # length, so neither the time nor an early return tells which key matched or how long keys are.
    assert len(compared) == 9
    assert set(compared) == {(32, 32)}


CONFIG_WITH_SECRETS = """\
server:
  api_keys: [k-3f9a7c1e22d8]
jobs:
  redis_url: redis://:hunter2pass@127.0.0.1:6379/0
feishu:
  app_secret: s-81be6d0c44aa
  encrypt_key: ""
"""


def config_file(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    path.chmod(mode)
    return path


def config_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "voxflow.config"]


@pytest.mark.parametrize(
    ("mode", "who"), [(0o644, "group and others"), (0o640, "its group"), (0o604, "others")]
)
def test_a_config_file_with_secrets_that_others_read_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: int, who: str
) -> None:
    path = config_file(tmp_path, CONFIG_WITH_SECRETS + f"data_dir: {tmp_path / 'data'}\n", mode)
    with caplog.at_level(logging.WARNING, logger="voxflow.config"):
        load_settings(path)
    [warning] = config_warnings(caplog)
    assert "server.api_keys, jobs.redis_url, feishu.app_secret" in warning  # not the empty encrypt_key
    assert f"readable by {who}" in warning and "chmod 600" in warning
    for value in ("k-3f9a7c1e22d8", "hunter2pass", "s-81be6d0c44aa"):
        assert value not in warning


def test_no_warning_for_a_private_file_or_one_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="voxflow.config"):
        load_settings(config_file(tmp_path, CONFIG_WITH_SECRETS, 0o600))
        load_settings(config_file(tmp_path, "server:\n  api_keys: []\nfeishu:\n  app_secret: ''\n", 0o644))
    assert config_warnings(caplog) == []


def test_secrets_are_found_wherever_the_file_holds_them() -> None:
    data = {
        "hooks": {"orders": {"secret": "x", "text_path": "text"}, "open": {"secret": ""}},
        "jobs": {"database_url": "postgresql+psycopg://app:pw@db/voxflow", "redis_url": "redis://db:6379/0"},
        "feishu": {"verification_token": "t", "tables": [{"app_token": "bascn1", "table_id": "tbl1"}]},
        "callbacks": {"link_secret": "y"},
    }
    assert secret_keys(data) == [
        "hooks.orders.secret", "jobs.database_url", "feishu.verification_token", "callbacks.link_secret",
    ]  # fmt: skip
