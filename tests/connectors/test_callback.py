"""Callbacks: signed, retried against a real receiver, refused for internal addresses before any traffic."""

from __future__ import annotations

import base64
import hashlib
import socket
from typing import Any

import httpx
import pytest

from connectors import signing
from connectors.callback import CallbackFailed, CallbackRefused, CallbackSender
from connectors.config import CallbacksConfig
from tests.connectors.conftest import OTHER
from tests.connectors.connectors_helpers import Receiver, Stack, signed_post
from tests.integrator.servekit import duration_s, probe


def _verify(received: Any, secret: str) -> dict[str, Any]:
    signing.verify([secret], httpx.Headers(received.headers), received.body, tolerance_s=300)
    return dict(received.json())


def test_a_callback_that_fails_twice_then_succeeds_is_delivered_with_a_working_audio_link(
    hooked: Stack, receiver: Receiver
) -> None:
    with hooked.client(key=None) as public:
        job_id = signed_post(
            public, "flaky", {"text": "Your report is ready. It has three pages."}, OTHER
        ).json()["job_id"]
    job = hooked.wait(job_id)
    assert job["status"] == "succeeded", job["error"]
    calls = receiver.at("/flaky")
    assert len(calls) == 3
    bodies = [_verify(c, OTHER) for c in calls]
    assert all(b == bodies[0] for b in bodies)
    body = bodies[0]
    assert (body["job_id"], body["status"], body["hook"], body["format"]) == (
        job_id,
        "succeeded",
        "flaky",
        "wav",
    )
    assert calls[0].headers["X-Voxflow-Job"] == job_id
    (delivery,) = job["deliveries"]
    assert (delivery["sink"], delivery["status"], delivery["receipt"]["detail"]["attempts"]) == (
        "callback",
        "delivered",
        3,
    )
    # The link opens the audio without the API key this server requires, and only while its signature holds.
    audio = httpx.get(body["audio_url"])
    assert audio.status_code == 200 and probe(audio.content)["codec"] == "pcm_s16le"
    assert abs(duration_s(audio.content) * 1000 - body["duration_ms"]) < 1
    forged = httpx.get(body["audio_url"].replace("sig=", "sig=0"))
    assert forged.status_code == 401 and "signed link" in forged.json()["error"]["message"]


@pytest.mark.parametrize(("hook", "path"), [("dynamic", "/media-link"), ("inline", "/inline")])
def test_a_callback_announces_the_media_type_and_sha256_of_the_audio_the_receiver_gets(
    hooked: Stack, receiver: Receiver, hook: str, path: str
) -> None:
    """The receiver checks its download against the callback: by link (mp3) or inline (opus)."""
    before = len(receiver.at(path))
    payload: dict[str, Any] = {"text": "Checksums for the receiver."}
    if hook == "dynamic":
        payload = {"message": {"id": "media-1", "body": payload["text"]}, "reply_to": receiver.on(path, 200)}
    with hooked.client(key=None) as public:
        job_id = signed_post(public, hook, payload, OTHER).json()["job_id"]
    assert hooked.wait(job_id)["status"] == "succeeded"
    body = _verify(receiver.wait_for(path, before + 1)[-1], OTHER)
    if "audio_url" in body:
        download = httpx.get(body["audio_url"])
        assert download.status_code == 200
        data, served_as = download.content, download.headers["content-type"].split(";")[0]
    else:
        data, served_as = base64.b64decode(body["audio"]["data"]), None
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["bytes"] == len(data)
    expected = {"mp3": "audio/mpeg", "opus": "audio/ogg"}[body["format"]]
    assert body["media_type"] == expected and served_as in (None, expected)
    assert probe(data)["codec"] == {"mp3": "mp3", "opus": "opus"}[body["format"]]


def test_a_callback_that_always_fails_marks_the_delivery_failed_after_n_attempts(
    hooked: Stack, receiver: Receiver
) -> None:
    with hooked.client(key=None) as public:
        job_id = signed_post(public, "down", {"text": "Nobody is listening."}, OTHER).json()["job_id"]
    job = hooked.wait(job_id)
    assert len(receiver.at("/down")) == 3  # callbacks.attempts, then no job-level retry on top
    assert job["status"] == "failed" and job["error"]["code"] == "callback_failed"
    (delivery,) = job["deliveries"]
    assert delivery["status"] == "failed"
    assert "after 3 attempts" in delivery["error"] and "HTTP 500" in delivery["error"]


def test_a_base64_callback_carries_the_audio_itself(hooked: Stack, receiver: Receiver) -> None:
    with hooked.client(key=None) as public:
        job_id = signed_post(public, "inline", {"text": "Inline audio."}, OTHER).json()["job_id"]
    assert hooked.wait(job_id)["status"] == "succeeded"
    body = _verify(receiver.at("/inline")[-1], OTHER)
    assert "audio_url" not in body
    assert probe(base64.b64decode(body["audio"]["data"]))["codec"] == "opus"


class NoNetwork(httpx.BaseTransport):
    """Fails the test if the sender ever tries to send anything."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise AssertionError(f"the sender connected to {request.url}")


@pytest.mark.parametrize(
    ("url", "resolves_to", "why"),
    [
        ("http://10.0.0.1/cb", None, "not a public address"),
        ("http://169.254.169.254/latest/meta-data", None, "not a public address"),
        ("http://[::1]:8080/cb", None, "not a public address"),
        ("http://[::ffff:10.0.0.1]/cb", None, "not a public address"),
        ("http://internal.example/cb", ["93.184.216.34", "10.0.0.5"], "10.0.0.5"),
        ("http://metadata.example/cb", ["169.254.169.254"], "169.254.169.254"),
        ("http://elsewhere.example.org/cb", ["93.184.216.34"], "not in the allow-list"),
        ("ftp://internal.example/cb", None, "http:// or https://"),
        ("http://user:pw@internal.example/cb", None, "credentials"),
    ],
)
def test_internal_addresses_are_refused_before_any_connection(
    url: str, resolves_to: list[str] | None, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_socket(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", no_socket)
    looked_up: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        assert resolves_to is not None, f"{host} should never be looked up"
        return resolves_to

    cfg = CallbacksConfig(allow_hosts=["10.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1", "*.example"])
    transport = NoNetwork()
    sender = CallbackSender(cfg, resolver=resolver, transport=transport, sleep=lambda s: None)
    with pytest.raises(CallbackRefused, match=why):
        sender.send(url, b"{}", "secret")
    assert transport.requests == []


def test_an_allowed_name_is_called_at_its_checked_address_with_its_name_in_host(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    cfg = CallbacksConfig(allow_hosts=["hooks.test"], allow_networks=["127.0.0.1/32"], attempts=1)
    sender = CallbackSender(cfg, resolver=lambda host, p: ["127.0.0.1"])
    receiver.on("/named", 201)
    response, attempts = sender.send(f"http://hooks.test:{port}/named?x=1", b'{"a": 1}', "k")
    assert (response.status_code, attempts) == (201, 1)
    call = receiver.at("/named?x=1")[-1]
    assert call.headers["Host"] == f"hooks.test:{port}" and call.body == b'{"a": 1}'


def test_a_refusing_status_is_not_retried(receiver: Receiver) -> None:
    cfg = CallbacksConfig(
        allow_hosts=["127.0.0.1"], allow_networks=["127.0.0.1/32"], attempts=5, backoff_s=0.01
    )
    url = receiver.on("/gone", 410)
    with pytest.raises(CallbackFailed, match="HTTP 410"):
        CallbackSender(cfg).send(url, b"{}", "k")
    assert len(receiver.at("/gone")) == 1


def test_a_job_that_fails_is_called_back_as_failed(hooked: Stack, receiver: Receiver) -> None:
    too_long = "Far too long. " * 1500  # over the engine's max_chars: the job fails for good
    before = len(receiver.at("/inline"))
    with hooked.client(key=None) as public:
        job_id = signed_post(public, "inline", {"text": too_long}, OTHER).json()["job_id"]
    job = hooked.wait(job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "text_too_long"
    body = _verify(receiver.wait_for("/inline", before + 1)[-1], OTHER)
    assert (body["event"], body["job_id"], body["status"]) == ("job.failed", job_id, "failed")
    assert body["error"]["code"] == "text_too_long" and "audio" not in body
    assert receiver.at("/inline")[-1].headers["X-Voxflow-Event"] == "job.failed"
