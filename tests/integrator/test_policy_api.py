"""Every entry point of the service honours the text policy: 422 (or an error message) naming the
rule, a count in /metrics, and no audio made."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from integrator.services import compose
from tests.integrator.policy_helpers import with_policy
from tests.integrator.servekit import Running, running_server, tone_engine, tone_settings, tone_voices
from tests.integrator.test_websocket import collect, end_of, recv_json, send


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    settings = with_policy(tone_settings(), Path(tempfile.mkdtemp(prefix="voxflow-policy-")))
    services = compose(settings)
    voices = tone_voices()
    engine = tone_engine(voices, policy=services.policy)
    with running_server(settings, engine, voices, services=services) as running:
        yield running


def spoken(server: Running) -> list[str]:
    return [piece.text for voice in server.voices.values() for piece, _, _ in voice.calls]


def refused_count(server: Running, rule: str) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    found = re.search(rf'^voxflow_text_refused_total\{{rule="{rule}"\}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_post_tts_answers_422_naming_the_rule_counts_it_and_speaks_nothing(server: Running) -> None:
    before = refused_count(server, "violence")
    response = httpx.post(f"{server.url}/v1/tts", json={"text": "他们说要殺 人。", "voice": "tone-zh"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["param"], error["rule"]) == ("text_refused", "text", "violence")
    assert "'violence'" in error["message"] and "deny list line 4" in error["message"]
    assert refused_count(server, "violence") == before + 1
    assert not any("杀" in t or "殺" in t for t in spoken(server))


def test_the_openai_route_refuses_with_its_error_shape_on_input(server: Running) -> None:
    before = refused_count(server, "secrets")
    body = {"model": "tts-1", "voice": "alloy", "input": "ProjectX launches today."}
    response = httpx.post(f"{server.url}/v1/audio/speech", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"], error["rule"]) == (
        "invalid_request_error",
        "text_refused",
        "input",
        "secrets",
    )
    assert "unannounced product" in error["message"]
    assert refused_count(server, "secrets") == before + 1
    assert not any("ProjectX" in t for t in spoken(server))


def test_a_text_the_policy_passes_is_spoken(server: Running) -> None:
    response = httpx.post(f"{server.url}/v1/tts", json={"text": "今天开会。", "voice": "tone-zh"})
    assert response.status_code == 200 and response.content
    assert "今天开会。" in spoken(server)


def test_websocket_requests_get_an_error_message_naming_the_rule(server: Running) -> None:
    with connect(f"{server.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        send(ws, type="synthesize", request_id="whole", text="The badword again.", voice="tone-en")
        error = end_of(ws, "whole")
        assert (error["type"], error["code"]) == ("error", "text_refused")
        assert "'deny_list'" in error["message"]
    assert not any("badword" in t for t in spoken(server))


def test_appended_text_is_screened_before_each_sentence_is_spoken(server: Running) -> None:
    before = refused_count(server, "violence")
    with connect(f"{server.ws_url}/v1/tts/stream", open_timeout=10) as ws:
        send(ws, type="synthesize", request_id="llm", incremental=True, voice="tone-zh")
        for token in ["第一句", "没问题。", "第二句要", "杀", "人。", "第三句。"]:
            send(ws, type="append", request_id="llm", text=token)
        send(ws, type="flush", request_id="llm")
        assert recv_json(ws)["type"] == "start"
        result = collect(ws, ["llm"], started="llm")["llm"]
    assert result.end is not None and result.end["code"] == "text_refused"
    assert "'violence'" in result.end["message"]
    said = spoken(server)
    assert "第一句没问题。" in said and not any("杀" in t or "第三句" in t for t in said)
    assert refused_count(server, "violence") == before + 1
