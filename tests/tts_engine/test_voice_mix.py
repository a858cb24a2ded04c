"""Voice mixes: the written form, and how the registry and the catalog make them."""

from __future__ import annotations

import pytest

from tts_engine.backends import catalog
from tts_engine.errors import UnknownVoiceError, VoiceMixError
from tts_engine.registry import MAX_ADHOC_MIXES, VoiceRegistry
from tts_engine.testing import ToneBackend
from tts_engine.voice_mix import is_mix, parse_mix

KUMO, ALPHA = "zh-kokoro-kumo", "zh-kokoro-alpha"


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        (f"{KUMO}*0.7+{ALPHA}*0.3", ((KUMO, 0.7), (ALPHA, 0.3))),
        (f"{KUMO}(0.7)+{ALPHA}(0.3)", ((KUMO, 0.7), (ALPHA, 0.3))),  # Kokoro-FastAPI's own form
        (f"{KUMO}(2) + {ALPHA}(1)", ((KUMO, 2 / 3), (ALPHA, 1 / 3))),  # normalised to sum 1
        (f"{KUMO}+{ALPHA}", ((KUMO, 0.5), (ALPHA, 0.5))),  # no weights: equal parts
        (f" {KUMO} * 3 + {ALPHA}", ((KUMO, 0.75), (ALPHA, 0.25))),  # a missing weight counts 1
        (f"{KUMO}*0.5+{ALPHA}*0.25+{KUMO}*0.25", ((KUMO, 0.75), (ALPHA, 0.25))),  # named twice: summed
        (f"{KUMO}*1", ((KUMO, 1.0),)),
    ],
)
def test_mixes_are_read_in_both_notations_and_normalised(
    written: str, parts: tuple[tuple[str, float], ...]
) -> None:
    mix = parse_mix(written)
    assert [v for v, _ in mix.parts] == [v for v, _ in parts]
    assert [w for _, w in mix.parts] == pytest.approx([w for _, w in parts])
    assert parse_mix(mix.id).id == mix.id  # the one written form reads back to itself


@pytest.mark.parametrize(
    ("written", "words"),
    [
        (f"{KUMO}*0+{ALPHA}", "weight of zh-kokoro-kumo must be above 0, got 0"),
        (f"{KUMO}*-0.5+{ALPHA}", "must be above 0, got -0.5"),
        (f"{KUMO}(0)", "must be above 0"),
        (f"{KUMO}*nan", "must be above 0"),
        (f"{KUMO}*much", "'much', not a number"),
        (f"{KUMO}+", "cannot read 'an empty part'"),
        (f"{KUMO}**2", "cannot read"),
        (f"{KUMO}(0.5", "cannot read"),
    ],
)
def test_a_malformed_mix_says_what_is_wrong(written: str, words: str) -> None:
    with pytest.raises(VoiceMixError, match=r"voice mix .*: ") as caught:
        parse_mix(written)
    assert words in str(caught.value) and caught.value.voice_id == written


def test_ids_are_not_mixes_but_any_mix_mark_makes_one() -> None:
    assert not is_mix("zh-kokoro-kumo") and not is_mix("en-piper-joe")
    assert all(is_mix(v) for v in ("a+b", "a*1", "a(1)"))


# -- the catalog: only voices of one model that mixes -------------------------------
@pytest.fixture(scope="module")
def builtin() -> VoiceRegistry:
    return catalog.builtin_registry({"device": "cpu"}, {"zh-kokoro-warm": f"{KUMO}*0.7+{ALPHA}*0.3"})


@pytest.mark.parametrize(
    ("written", "words"),
    [
        (f"{KUMO}*0.5+en-piper-joe*0.5", r"voices of different models \(kokoro, piper\) cannot be mixed"),
        ("espeak-zh+espeak-en", r"espeak voices cannot be mixed \(only kokoro\)"),
        (f"{KUMO}+zh-kokoro-nobody", "unknown voice 'zh-kokoro-nobody'"),
        (f"zh-kokoro-warm+{KUMO}", "zh-kokoro-warm is a mix itself"),
    ],
)
def test_the_catalog_mixes_only_voices_of_one_model_that_can(
    builtin: VoiceRegistry, written: str, words: str
) -> None:
    with pytest.raises(VoiceMixError, match=words):
        builtin.info(written)


def test_a_named_mix_is_listed_with_the_voices_and_says_what_is_in_it(builtin: VoiceRegistry) -> None:
    info = builtin.info("zh-kokoro-warm")
    assert "zh-kokoro-warm" in builtin.ids()
    assert (info.backend, info.languages, info.sample_rate) == ("kokoro", ("zh", "en"), 24000)
    assert "70% zh-kokoro-kumo, 30% zh-kokoro-alpha" in info.description


def test_a_named_mix_cannot_take_a_voices_name() -> None:
    with pytest.raises(VoiceMixError, match="already a voice"):
        catalog.builtin_registry({}, {KUMO: f"{KUMO}*0.5+{ALPHA}*0.5"})
    with pytest.raises(VoiceMixError, match="different models"):
        catalog.builtin_registry({}, {"odd": f"{KUMO}+en-piper-joe"})


def test_a_mix_from_a_request_is_made_once_kept_unlisted_and_the_same_however_written(
    builtin: VoiceRegistry,
) -> None:
    first = builtin.info(f"{KUMO}(1)+{ALPHA}(1)")
    assert first.id == f"{KUMO}*0.5+{ALPHA}*0.5" and first.id not in builtin.ids()
    assert builtin.info(f"{KUMO}+{ALPHA}") is first
    assert builtin.info(first.id) is first
    with pytest.raises(UnknownVoiceError) as caught:
        builtin.info("zh-kokoro-nobody")  # not written as a mix: an unknown voice, as ever
    assert not isinstance(caught.value, VoiceMixError)


def test_mixes_written_in_requests_are_let_go_beyond_a_bound() -> None:
    made: list[str] = []

    def resolve(written: str) -> tuple[object, object]:
        voice = ToneBackend(parse_mix(written).id)
        made.append(voice.info.id)
        return voice.info, lambda: voice

    registry = VoiceRegistry([], {}, resolve_mix=resolve)  # type: ignore[arg-type]
    for i in range(MAX_ADHOC_MIXES + 5):
        registry.info(f"a*{i + 1}+b")
    assert len(registry._adhoc) == MAX_ADHOC_MIXES and len(registry._factories) == MAX_ADHOC_MIXES
    oldest = "a*1+b"
    assert registry.get(oldest).info.id == parse_mix(oldest).id  # made again when asked for again
