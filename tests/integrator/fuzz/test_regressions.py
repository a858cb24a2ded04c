"""Requests the API fuzzer found failing, kept as plain tests so they stay fixed whatever it generates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from integrator.app import create_app
from integrator.config import Settings
from tests.integrator.servekit import tone_engine, tone_settings, tone_voices


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_app(tone_settings(), tone_engine(tone_voices(0.0)))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_a_bad_idempotency_header_is_refused_and_stores_nothing(client: TestClient, key: str) -> None:
    # An empty header used to be stored unvalidated (model_copy); reading the job back then failed
    # validation, and every later GET /v1/jobs listing answered 500.
    for _ in range(2):
        response = client.post("/v1/jobs", json={"texts": ["0"]}, headers={"Idempotency-Key": key})
        assert response.status_code == 422
        assert response.json()["error"]["param"].endswith("Idempotency-Key")
    listing = client.get("/v1/jobs")
    assert listing.status_code == 200 and listing.json()["jobs"] == []


def test_the_header_key_is_the_job_key(client: TestClient) -> None:
    first = client.post("/v1/jobs", json={"texts": ["Hello."]}, headers={"Idempotency-Key": "h-1"})
    again = client.post("/v1/jobs", json={"texts": ["Hello."]}, headers={"Idempotency-Key": "h-1"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["idempotency_key"] == "h-1"
    assert client.get("/v1/jobs").status_code == 200


@pytest.fixture
def signed_client(tmp_path: Path) -> Iterator[TestClient]:
    """Keys, and a webhook, configured: the routes where signatures are checked."""
    settings = Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "engine": {"preload": [], "default_voice": {"zh": "tone-zh", "en": "tone-en"}},
            "server": {"api_keys": ["k-0123456789"]},
            "hooks": {"demo": {"secret": "hook-secret-0123456789abcdef"}},
        }
    )
    with TestClient(create_app(settings, tone_engine(tone_voices(0.0)))) as client:
        yield client


@pytest.mark.parametrize("query", ["sig=%C3%A9&expires=99999999999", "sig=%E2%82%AC", "expires=1&sig="])
def test_an_odd_signed_link_is_refused_not_a_500(signed_client: TestClient, query: str) -> None:
    # compare_digest raises TypeError on str with non-ASCII characters: every route answered 500.
    response = signed_client.get(f"/v1/voices?{query}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, b"sha256=\xe9\xe9"),  # non-ASCII signature: compare_digest raised TypeError
        ("9" * 400, b"sha256=00"),  # too large for a float: OverflowError on the clock check
        ("-" + "9" * 400, b"sha256=00"),
    ],
)
def test_a_webhook_with_an_odd_signature_or_timestamp_is_refused_not_a_500(
    signed_client: TestClient, timestamp: str | None, signature: bytes
) -> None:
    headers = {
        b"x-voxflow-timestamp": (timestamp or str(int(time.time()))).encode(),
        b"x-voxflow-signature": signature,
        b"content-type": b"application/json",
    }
    response = signed_client.post("/v1/hooks/demo", content=b'{"text": "hi"}', headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
