"""The audio cache: keys from the normalized plan, LRU eviction under a size cap, repeats served from it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_helpers import Harness, SettingsFactory, make_engine

from integrator.jobs.abc import AudioCache
from integrator.jobs.cache import DiskAudioCache, MemoryAudioCache, cache_key
from integrator.jobs.job import JobStatus
from integrator.jobs.metrics import CACHE_HITS, CACHE_MISSES, cache_hit_ratio
from tts_engine.engine import Engine
from tts_engine.testing import ToneBackend
from tts_engine.types import SynthesisOptions


@pytest.fixture(params=["disk", "memory"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AudioCache]:
    made: AudioCache = MemoryAudioCache(1) if request.param == "memory" else DiskAudioCache(tmp_path / "c", 1)
    yield made
    made.close()


def test_entries_round_trip_and_misses_write_nothing(cache: AudioCache, tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.write_bytes(b"RIFF" + os.urandom(50_000))
    assert cache.get_to("k", dest) is False and not dest.exists()
    cache.put_from("k", src)
    assert cache.get_to("k", dest) is True
    assert dest.read_bytes() == src.read_bytes()
    assert len(cache) == 1


def test_least_recently_used_entries_go_first_under_the_cap(cache: AudioCache, tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    for i in range(80):
        src.write_bytes(os.urandom(20_000))
        cache.put_from(f"k{i}", src)
        assert cache.get_to("k0", out)  # k0 stays in use throughout
    assert cache.volume() <= 1024 * 1024
    present = {i for i in range(80) if cache.get_to(f"k{i}", out)}
    assert {0, 78, 79} <= present  # the one in use and the newest survive
    assert not {1, 2, 3} & present  # the oldest unused ones were evicted
    assert len(present) < 80


def plan_key(engine: Engine, text: str, fmt: str = "wav", **options: object) -> str:
    plan = engine.prepare_encoded(text, "test-tone", fmt, SynthesisOptions(**options))  # type: ignore[arg-type]
    return cache_key([plan], fmt)


def test_the_key_is_of_the_normalized_text_and_every_output_parameter() -> None:
    engine = make_engine(ToneBackend("test-tone"))
    base = plan_key(engine, "I have 3 apples.")
    assert plan_key(engine, "I have three apples.") == base  # the front-end spells the number out
    assert plan_key(engine, "会议在3点开始。") == plan_key(engine, "会议在三点开始。")
    assert plan_key(engine, "I have four apples.") != base
    assert plan_key(engine, "I have 3 apples.", speed=1.25) != base
    assert plan_key(engine, "I have 3 apples.", sample_rate=22050) != base
    assert plan_key(engine, "I have 3 apples.", fmt="flac") != base
    one = engine.prepare_encoded("First. Second.", "test-tone", "wav")
    two = [engine.prepare_encoded(t, "test-tone", "wav") for t in ("First.", "Second.")]
    assert cache_key([one], "wav") != cache_key(two, "wav")


def test_a_repeated_request_is_served_from_the_cache(make_settings: SettingsFactory, tmp_path: Path) -> None:
    tone = ToneBackend("test-tone")
    cache = DiskAudioCache(tmp_path / "c", 16)
    h = Harness(make_settings("sqlite"), "memory", make_engine(tone), cache=cache)
    try:
        h.start()
        first = h.wait(h.submit("I have 3 apples.", format="wav").id)
        spoken = len(tone.calls)
        hits, misses = CACHE_HITS._value.get(), CACHE_MISSES._value.get()
        second = h.wait(h.submit("I have three apples.", format="wav").id)
        other = h.wait(h.submit("I have 3 apples.", format="wav", speed=1.5).id)
    finally:
        h.close()
    assert first.status is second.status is other.status is JobStatus.SUCCEEDED
    assert first.artifact and second.artifact and other.artifact
    assert [j.artifact.cache_hit for j in (first, second, other)] == [False, True, False]  # type: ignore[union-attr]
    assert second.artifact.sha256 == first.artifact.sha256 and second.artifact.name == f"{second.id}.wav"
    assert len(tone.calls) > spoken and all(speed == 1.5 for _, speed, _ in tone.calls[spoken:])
    assert (CACHE_HITS._value.get() - hits, CACHE_MISSES._value.get() - misses) == (1, 1)
    ratio = cache_hit_ratio()
    assert ratio is not None and 0 < ratio < 1


def test_an_entry_keeps_the_length_of_its_audio(cache: AudioCache, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(b"RIFF" + os.urandom(1000))
    assert cache.duration("k") is None
    cache.put_from("k", src, 1234.5)
    assert cache.duration("k") == 1234.5
    cache.put_from("k2", src)  # kept without its length: the runner treats it as a miss
    assert cache.duration("k2") is None


def test_the_artifact_carries_the_length_counted_at_synthesis(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    import soundfile

    cache = DiskAudioCache(tmp_path / "c", 16)
    h = Harness(make_settings("sqlite"), "memory", make_engine(ToneBackend("test-tone")), cache=cache)
    try:
        h.start()
        first = h.wait(h.submit("One sentence. And another one.", format="wav").id)
        again = h.wait(h.submit("One sentence. And another one.", format="wav").id)
    finally:
        h.close()
    assert first.artifact and again.artifact and again.artifact.cache_hit
    path = h.service.artifacts_dir / first.artifact.name
    info = soundfile.info(str(path))
    assert first.artifact.duration_ms == pytest.approx(1000.0 * info.frames / info.samplerate, abs=0.1)
    assert again.artifact.duration_ms == first.artifact.duration_ms  # a cache hit carries it too
