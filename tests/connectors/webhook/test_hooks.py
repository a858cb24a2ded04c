"""POST /v1/hooks/{name} on a real server: signatures, replays, JSON paths, idempotency."""

from __future__ import annotations

import time

import httpx

from connectors import signing
from tests.connectors.conftest import OTHER, SECRET
from tests.connectors.connectors_helpers import Stack, signed_post
from tests.integrator.servekit import probe


def test_a_signed_hook_answers_202_at_once_and_its_job_speaks_the_text_at_the_path(hooked: Stack) -> None:
    payload = {"event": "order.created", "data": {"content": "Order 42 has shipped. It arrives on Monday."}}
    with hooked.client(key=None) as public:  # hooks need no API key: the signature is their credential
        response = signed_post(public, "orders", payload, SECRET)
    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "queued" and response.headers["location"] == f"/v1/jobs/{answer['job_id']}"
    job = hooked.wait(answer["job_id"])
    assert job["status"] == "succeeded", job["error"]
    assert (job["source"], job["input"]["voice"], job["input"]["format"]) == ("hook:orders", "tone-en", "mp3")
    assert job["input"]["characters"] == len(payload["data"]["content"])
    with hooked.client() as client:
        audio = client.get(f"/v1/jobs/{job['id']}/audio")
    assert probe(audio.content)["codec"] == "mp3"


def test_the_same_idempotency_header_gives_the_same_job(hooked: Stack) -> None:
    payload = {"data": {"content": "Only once, please."}}
    with hooked.client(key=None) as public:
        first = signed_post(public, "orders", payload, SECRET, headers={"X-Request-Id": "evt-7"})
        again = signed_post(
            public, "orders", payload, SECRET, headers={"X-Request-Id": "evt-7"}, now=time.time() + 1
        )
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["job_id"] == again.json()["job_id"] and again.json()["created"] is False


def test_missing_wrong_and_stale_signatures_are_401_and_a_replay_409(hooked: Stack) -> None:
    body = b'{"data": {"content": "Let me in."}}'
    stale = signing.signed_headers(SECRET, body, now=time.time() - 600)
    fresh = signing.signed_headers(SECRET, body)
    with hooked.client(key=None) as public:
        missing = public.post("/v1/hooks/orders", content=body)
        wrong = public.post("/v1/hooks/orders", content=body, headers=signing.signed_headers("guess", body))
        old = public.post("/v1/hooks/orders", content=body, headers=stale)
        tampered = public.post("/v1/hooks/orders", content=body.replace(b"in", b"out"), headers=fresh)
        first = public.post("/v1/hooks/orders", content=body, headers=fresh)
        replayed = public.post("/v1/hooks/orders", content=body, headers=fresh)
        unknown = public.post("/v1/hooks/nope", content=body, headers=fresh)
    for response, code in [
        (missing, "missing_signature"),
        (wrong, "invalid_signature"),
        (old, "stale_timestamp"),
        (tampered, "invalid_signature"),
    ]:
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == code
        assert response.headers["www-authenticate"].startswith("Signature")
    assert first.status_code == 202
    assert replayed.status_code == 409 and replayed.json()["error"]["code"] == "replayed"
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_hook"


def test_a_body_without_text_at_the_path_is_422_naming_the_path(hooked: Stack) -> None:
    with hooked.client(key=None) as public:
        nothing = signed_post(public, "orders", {"data": {"contents": "typo"}}, SECRET)
        number = signed_post(public, "orders", {"data": {"content": 42}}, SECRET)
        blank = signed_post(public, "orders", {"data": {"content": "  "}}, SECRET)
        body = b"not json"
        garbage = public.post("/v1/hooks/orders", content=body, headers=signing.signed_headers(SECRET, body))
    assert nothing.status_code == 422
    assert (
        nothing.json()["error"]["param"] == "data.content"
        and "data.content" in nothing.json()["error"]["message"]
    )
    assert (number.status_code, number.json()["error"]["code"]) == (422, "text_not_string")
    assert (blank.status_code, blank.json()["error"]["code"]) == (422, "empty_text")
    assert (garbage.status_code, garbage.json()["error"]["code"]) == (400, "invalid_json")


def test_a_callback_url_from_the_payload_must_be_on_the_allow_list(hooked: Stack) -> None:
    payload = {
        "message": {"id": 9, "body": "Call me back."},
        "reply_to": "http://169.254.169.254/latest/meta-data",
    }
    with hooked.client(key=None) as public:
        refused = signed_post(public, "dynamic", payload, OTHER)
        missing = signed_post(public, "dynamic", {"message": {"id": 10, "body": "Where to?"}}, OTHER)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "callback_refused"
    assert refused.json()["error"]["param"] == "reply_to"
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "callback_url_not_found"


def test_the_rest_of_the_api_still_needs_the_key(hooked: Stack) -> None:
    assert httpx.get(f"{hooked.url}/v1/jobs").status_code == 401
