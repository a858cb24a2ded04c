"""Every route, found by walking the app: no file outside the served directories can be fetched,
every body and WebSocket frame has a size limit, and answers carry the browser security headers."""

from __future__ import annotations

import http.client
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from integrator.app.web import STATIC_DIR
from integrator.config import Settings
from tests.integrator.routes import http_routes, routes_of, websocket_routes
from tests.integrator.servekit import Running, running_server, tone_engine, tone_voices

MAX_BODY, MAX_FRAME = 2048, 4096
SENTINEL = "voxflow-sentinel-9f2c41d7"
HOOK_SECRET = "hook-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def guarded() -> Iterator[Running]:
    """A server with small limits, a webhook configured (so its route exists) and a secret file
    beside and above its artifact directory."""
    data_dir = Path(tempfile.mkdtemp(prefix="voxflow-security-"))
    for secret in (data_dir / "secret.txt", data_dir / "artifacts" / "secret.txt"):
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(SENTINEL)
    settings = Settings.model_validate(
        {
            "data_dir": str(data_dir),
            "engine": {"preload": ["tone-zh"], "default_voice": {"zh": "tone-zh", "en": "tone-en"}},
            "server": {"max_body_bytes": MAX_BODY, "ws_max_message_bytes": MAX_FRAME},
            "hooks": {"demo": {"secret": HOOK_SECRET}},
        }
    )
    voices = tone_voices()
    with running_server(settings, tone_engine(voices), voices) as running:
        yield running


def filled(path: str, value: str) -> str:
    """``path`` with each ``{param}`` set to ``value``."""
    out, rest = "", path
    while "{" in rest:
        head, _, tail = rest.partition("{")
        out += head + value
        rest = tail.partition("}")[2]
    return out + rest


def raw_get(server: Running, target: str) -> tuple[int, bytes]:
    """GET with the request target exactly as written: no client normalizes the dots away."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def app(guarded: Running) -> Any:
    from integrator.app import create_app  # the same settings, for its route table only

    return create_app(guarded.service.settings, guarded.engine)


TRAVERSALS = [
    "../secret.txt", "../../secret.txt", "..%2fsecret.txt", "..%2f..%2fsecret.txt", "%2e%2e/secret.txt",
    "%2e%2e%2f%2e%2e%2fsecret.txt", "..%5csecret.txt", "....//secret.txt", "..%252fsecret.txt",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/etc/passwd", "%00secret.txt",
]  # fmt: skip
OUTSIDE_STATIC = ["../config.py", "..%2fconfig.py", "%2e%2e/config.py", "..%2f..%2fintegrator%2fconfig.py"]


def test_no_route_serves_a_file_outside_its_directory(guarded: Running, app: Any) -> None:
    targets = []
    for found in routes_of(app):
        if found.kind == "http" and "GET" in found.methods and "{" in found.path:
            targets += [filled(found.path, t) for t in TRAVERSALS]
        elif found.kind == "mount":
            targets += [f"{found.path}/{t}" for t in TRAVERSALS + OUTSIDE_STATIC]
    targets += [f"/{t}" for t in TRAVERSALS]
    assert any(t.startswith("/v1/jobs/") and t.endswith("/audio") for t in targets)
    assert any(t.startswith("/static/") for t in targets)
    leaked = []
    outside = [SENTINEL.encode(), b"root:x:0:0", (STATIC_DIR.parent / "config.py").read_bytes()[:200]]
    for target in targets:
        status, body = raw_get(guarded, target)
        if status == 200 or any(secret in body for secret in outside):
            leaked.append((target, status, body[:80]))
    assert leaked == []
    assert raw_get(guarded, "/static/app.js")[0] == 200  # the directory itself is served


def test_every_body_route_refuses_a_body_over_the_limit(guarded: Running, app: Any) -> None:
    paths = sorted({filled(p, "demo") for m in ("POST", "PUT", "PATCH") for p in http_routes(app, m)})
    assert {"/v1/tts", "/v1/audio/speech", "/v1/jobs", "/v1/hooks/demo"} <= set(paths)
    big = b'{"text": "' + b"x" * MAX_BODY + b'"}'

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b" " * 1024  # no Content-Length: counted as it arrives

    json_type = {"content-type": "application/json"}
    for path in paths:
        declared = httpx.post(guarded.url + path, content=big, headers=json_type)
        assert declared.status_code == 413, path
        assert declared.json()["error"]["code"] == "body_too_large"
        streamed = httpx.post(guarded.url + path, content=chunks(), headers=json_type)
        assert streamed.status_code == 413, path
    # A declared length is refused before routing: the Feishu webhook (absent here) gets no further.
    feishu = httpx.post(guarded.url + "/v1/connectors/feishu/events", content=big)
    assert feishu.status_code == 413
    assert httpx.post(guarded.url + "/v1/tts", json={"text": "好", "format": "wav"}).status_code == 200


def test_every_websocket_route_closes_on_a_frame_over_the_limit(guarded: Running, app: Any) -> None:
    paths = [filled(p, "demo") for p in websocket_routes(app)]
    assert "/v1/tts/stream" in paths
    for path in paths:
        with connect(guarded.ws_url + path, max_size=None) as ws:
            ws.send("x" * (MAX_FRAME + 1))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009, path
    with connect(guarded.ws_url + "/v1/tts/stream") as ws:  # the server carries on
        ws.send(json.dumps({"type": "ping", "id": 1}))
        assert json.loads(ws.recv(10)) == {"type": "pong", "id": 1}


def csp_directives(value: str) -> dict[str, str]:
    return {d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2] for d in value.split(";") if d.strip()}


def test_the_page_and_every_answer_carry_the_security_headers(guarded: Running) -> None:
    url = guarded.url
    page = httpx.get(url + "/")
    csp = csp_directives(page.headers["content-security-policy"])
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in page.headers["content-security-policy"]
    assert httpx.get(url + "/static/app.js").headers["content-security-policy"] == page.headers[
        "content-security-policy"
    ]
    audio = httpx.post(url + "/v1/tts", json={"text": "好", "format": "wav"})
    answers = [
        page,
        httpx.get(url + "/static/style.css"),
        httpx.get(url + "/v1/voices"),
        audio,
        httpx.get(url + "/v1/nothing"),
        httpx.post(url + "/v1/tts", content=b"x" * (MAX_BODY + 1)),
        httpx.post(url + "/v1/tts", json={"text": ""}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 404, 413, 400]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.url
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
    # An audio link opened in a browser tab must still play: no page policy on it.
    assert "content-security-policy" not in audio.headers
