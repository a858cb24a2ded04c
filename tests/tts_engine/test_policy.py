"""The text policy in the engine: every text is screened before any voice is asked for audio."""

from __future__ import annotations

import pytest

from tts_engine.engine import Engine
from tts_engine.errors import TextRefusedError
from tts_engine.policy import Refusal, TextPolicy
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend


def no_secrets(text: str) -> Refusal | None:
    return Refusal("secrets", "the text names a secret project") if "ProjectX" in text else None


def engine_with(policy: TextPolicy) -> tuple[Engine, ToneBackend]:
    voice = ToneBackend("tone")
    registry = VoiceRegistry([voice.info], {voice.info.id: lambda: voice})
    return Engine(registry, default_voices={"zh": "tone", "en": "tone"}, policy=policy), voice


def test_a_refused_text_names_its_rule_is_counted_and_never_reaches_the_voice() -> None:
    engine, voice = engine_with(TextPolicy([no_secrets]))
    with pytest.raises(TextRefusedError, match=r"'secrets'.*secret project") as refused:
        engine.synthesize("The launch of ProjectX is on Monday.", "tone")
    assert refused.value.rule == "secrets" and refused.value.code == "text_refused"
    with pytest.raises(TextRefusedError):
        list(engine.stream("ProjectX again.", "tone"))
    assert voice.calls == [] and voice.loads == 0
    assert engine.policy.refused() == {"secrets": 2}

    engine.synthesize("The launch is on Monday.", "tone")  # a text the checks pass is spoken
    assert voice.calls and engine.policy.refused() == {"secrets": 2}


def test_checks_run_in_order_and_may_answer_a_rule_and_reason_pair() -> None:
    seen: list[str] = []

    def first(text: str) -> tuple[str, str] | None:
        seen.append(text)
        return ("shouting", "the text is all capitals") if text.isupper() else None

    policy = TextPolicy([first, no_secrets])
    with pytest.raises(TextRefusedError, match="shouting"):
        policy.screen("PROJECTX NOW")
    with pytest.raises(TextRefusedError, match="secrets"):
        policy.screen("ProjectX now")
    policy.screen("fine")
    assert seen == ["PROJECTX NOW", "ProjectX now", "fine"]
    assert policy.refused() == {"shouting": 1, "secrets": 1}


def test_a_check_answering_something_else_is_a_programming_error_not_a_pass() -> None:
    policy = TextPolicy([lambda text: "no"])
    with pytest.raises(TypeError, match="expected None, a Refusal"):
        policy.screen("anything")


def test_ssml_is_screened_for_its_words_not_its_markup_and_for_what_it_speaks_instead() -> None:
    def no_project(text: str) -> Refusal | None:
        return Refusal("secrets", "named") if "projectx" in text.lower() else None

    engine, voice = engine_with(TextPolicy([no_project]))
    with pytest.raises(TextRefusedError):  # the term is split by a tag in the markup
        engine.prepare('<speak>Project<prosody rate="fast">X</prosody> ships.</speak>', "tone")
    with pytest.raises(TextRefusedError):  # spoken in place of the text shown
        engine.prepare('<speak><sub alias="ProjectX">the product</sub> ships.</speak>', "tone")
    engine.prepare('<speak><sub alias="the product">ProjectY</sub> ships.</speak>', "tone")
    assert voice.calls == []
