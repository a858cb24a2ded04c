"""Schemathesis against the app's own OpenAPI schema: every operation, with valid and invalid
requests, without keys, and with keys configured (no key, then a valid one). Nothing may answer 5xx
or raise; every error comes in the service's one shape.

Bounded: VOXFLOW_FUZZ_EXAMPLES (25) examples per operation and mode, derandomized so CI sees the
same requests every run (VOXFLOW_FUZZ_RANDOM=1 explores new ones).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import anyio
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from integrator.app import create_app
from integrator.app.auth import PUBLIC_PATHS
from tests.integrator.servekit import tone_engine, tone_settings, tone_voices

EXAMPLES = int(os.environ.get("VOXFLOW_FUZZ_EXAMPLES", "25"))
KEY = "fuzz-key-4b1d9e0c7a"
Check = Callable[[Any, Any], None]


def fuzzed_schema(**server: Any) -> Any:
    voices = tone_voices(0.0)
    # A small text limit keeps generated texts short to synthesize; a small body limit is hit too.
    app = create_app(tone_settings(max_body_bytes=16 * 1024, **server), tone_engine(voices, max_chars=300))
    anyio.run(app.state.service.warm_up)  # /readyz answers 200, not a deliberate 503
    headers = {"Authorization": f"Bearer {KEY}"} if server.get("api_keys") else {}
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers)


def header(response: Any, name: str) -> str:
    value = response.headers.get(name, "")  # schemathesis keeps each header as a list of values
    return str(value[0] if isinstance(value, list) and value else value)


def no_server_error(case: Any, response: Any) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    if response.status_code >= 400 and header(response, "content-type").startswith("application/json"):
        error = response.json().get("error")
        assert isinstance(error, dict) and {"message", "type", "code"} <= set(error), response.text[:300]


def fuzz(schema: Any, check: Check, headers: dict[str, str] | None = None) -> list[str]:
    """Run every operation; returns the labels of the operations fuzzed. Fails listing each
    operation with its first failing request."""
    failures: dict[str, str] = {}
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=not os.environ.get("VOXFLOW_FUZZ_RANDOM"),
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                check(case, case.call(headers=headers))

            try:
                run()
            except Unsatisfiable:
                pass  # no invalid request exists for an operation without parameters or body
            except Exception as exc:  # one operation's failure must not hide another's
                failures[f"{operation.label} ({mode.value})"] = f"{type(exc).__name__}: {str(exc)[:800]}"
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    return labels


def test_open_service_never_fails_on_any_request() -> None:
    labels = fuzz(fuzzed_schema(), no_server_error)
    assert {"POST /v1/tts", "POST /v1/audio/speech", "POST /v1/jobs", "GET /v1/jobs/{job_id}/audio"} <= set(
        labels
    )


def test_with_keys_every_operation_but_the_probes_needs_one_and_none_fails() -> None:
    schema = fuzzed_schema(api_keys=[KEY])

    def refused_without_key(case: Any, response: Any) -> None:
        no_server_error(case, response)
        if case.path not in PUBLIC_PATHS:
            assert response.status_code == 401, f"{case.method} {case.formatted_path}: {response.status_code}"
            assert response.json()["error"]["code"] == "invalid_api_key"

    fuzz(schema, refused_without_key, headers={"Authorization": ""})
    fuzz(schema, no_server_error, headers={"Authorization": f"Bearer {KEY}"})


@pytest.mark.parametrize("key", ["", "Bearer", "Bearer ", "Basic abc", "Bearer " + "é" * 10, "Bearer \x7f"])
def test_odd_authorization_headers_are_refused_in_the_error_shape(key: str) -> None:
    from fastapi.testclient import TestClient

    voices = tone_voices(0.0)
    app = create_app(tone_settings(api_keys=[KEY]), tone_engine(voices))
    with TestClient(app) as client:
        response = client.get("/v1/voices", headers={b"authorization": key.encode()})  # raw UTF-8
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
