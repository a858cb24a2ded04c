import threading
import time

import numpy as np
import pytest
from engine_helpers import until

from tts_engine.audio import dsp
from tts_engine.engine import Engine
from tts_engine.errors import (
    EmptyTextError,
    InvalidOptionError,
    SynthesisCancelled,
    TextTooLongError,
    UnknownVoiceError,
    UnsupportedLanguageError,
)
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend
from tts_engine.types import SynthesisOptions

ZH_EN = "今天下午我们开会。我们讨论了产品发布。The launch is next week. 大家都同意。"


def make_engine(*backends: ToneBackend, defaults: dict[str, str] | None = None, **kw: object) -> Engine:
    registry = VoiceRegistry([b.info for b in backends], {b.info.id: (lambda b=b: b) for b in backends})
    return Engine(registry, default_voices=defaults or {}, **kw)  # type: ignore[arg-type]


def test_stream_yields_first_chunk_before_later_pieces_are_made() -> None:
    voice = ToneBackend(delay_s=0.15)
    engine = make_engine(voice)
    text = "第一句话。第二句话比较长一些。第三句话也在这里。第四句话结束了。"
    engine.load("test-tone")
    voice.calls.clear()
    stream = engine.stream(text, "test-tone")
    t0 = time.monotonic()
    first = next(stream)
    first_at = time.monotonic() - t0
    rest = list(stream)
    total = time.monotonic() - t0
    assert len(rest) >= 3
    assert first.offset_ms == 0
    assert first_at < total / 2  # first audio long before the whole text is done


def test_chunks_are_contiguous_and_sentence_timings_cover_the_audio() -> None:
    engine = make_engine(ToneBackend())
    chunks = list(engine.stream(ZH_EN, "test-tone"))
    offset = 0.0
    for c in chunks:
        assert c.offset_ms == pytest.approx(offset)
        offset += c.duration_ms
    result = engine.synthesize(ZH_EN, "test-tone")
    starts = [s.start_ms for s in result.sentences]
    assert starts == sorted(starts)
    assert [s.index for s in result.sentences] == list(range(len(result.sentences)))
    assert result.sentences[-1].end_ms == pytest.approx(1000 * result.duration_s)
    assert "launch" in " ".join(s.text for s in result.sentences)


def test_seams_have_no_dc_and_fade_to_silence() -> None:
    engine = make_engine(ToneBackend(dc=0.2))
    for chunk in engine.stream("第一句话。第二句话。", "test-tone"):
        x = chunk.samples
        assert abs(x[:2]).max() < 0.02
        assert abs(x[-2:]).max() < 0.02
        voiced = x[np.abs(x) > 1e-3]
        assert abs(float(voiced.mean())) < 0.02


def test_voices_of_different_level_come_out_equally_loud() -> None:
    quiet = ToneBackend("quiet", amplitude=0.05)
    loud = ToneBackend("loud", amplitude=0.8)
    engine = make_engine(quiet, loud)
    text = "我们今天讨论产品发布的计划和时间安排。"
    a = engine.synthesize(text, "quiet")
    b = engine.synthesize(text, "loud")
    la = dsp.loudness_lufs(a.samples, a.sample_rate)
    lb = dsp.loudness_lufs(b.samples, b.sample_rate)
    assert abs(la - lb) < 1.5
    assert abs(la - engine.target_lufs) < 3


def test_mixed_text_is_routed_to_a_voice_that_speaks_each_language() -> None:
    zh = ToneBackend("zh-only", languages=("zh",), sample_rate=24000)
    en = ToneBackend("en-only", languages=("en",), sample_rate=22050)
    engine = make_engine(zh, en, defaults={"zh": "zh-only", "en": "en-only"})
    chunks = list(engine.stream(ZH_EN, "zh-only"))
    assert {c.sample_rate for c in chunks} == {24000}
    assert {c.voice_id for c in chunks} == {"zh-only", "en-only"}
    assert all(p.lang == "en" for p, _, _ in en.calls if p.text.strip())
    assert any("launch" in p.text for p, _, _ in en.calls)


def test_language_without_a_voice_is_refused_before_any_audio() -> None:
    zh = ToneBackend("zh-only", languages=("zh",))
    engine = make_engine(zh)
    with pytest.raises(UnsupportedLanguageError, match="zh-only"):
        engine.prepare(ZH_EN, "zh-only")
    assert zh.calls == []


@pytest.mark.parametrize("text", ["", "   ", "。。！？", "🎉🎉🎉", "……——"])
def test_unspeakable_text_is_refused(text: str) -> None:
    with pytest.raises(EmptyTextError):
        make_engine(ToneBackend()).prepare(text, "test-tone")


def test_bad_options_and_ids_are_refused() -> None:
    engine = make_engine(ToneBackend(), max_chars=50)
    with pytest.raises(UnknownVoiceError, match="nope"):
        engine.prepare("你好", "nope")
    with pytest.raises(InvalidOptionError, match="speed"):
        engine.prepare("你好", "test-tone", SynthesisOptions(speed=3.0))
    with pytest.raises(InvalidOptionError, match="sample_rate"):
        engine.prepare("你好", "test-tone", SynthesisOptions(sample_rate=100))
    with pytest.raises(TextTooLongError, match="limit is 50"):
        engine.prepare("你好" * 40, "test-tone")


def test_speed_reaches_native_backends_and_stretches_the_others() -> None:
    native = ToneBackend("native")
    stretched = ToneBackend("stretched", native_speed=False)
    engine = make_engine(native, stretched)
    text = "我们今天讨论产品发布的计划。"
    slow = engine.synthesize(text, "native", SynthesisOptions(speed=0.5)).duration_s
    fast = engine.synthesize(text, "native", SynthesisOptions(speed=2.0)).duration_s
    assert slow > 2.5 * fast
    assert {s for _, s, _ in native.calls} >= {0.5, 2.0}
    normal = engine.synthesize(text, "stretched").duration_s
    quick = engine.synthesize(text, "stretched", SynthesisOptions(speed=2.0)).duration_s
    assert quick < 0.75 * normal
    assert all(s == 1.0 for _, s, _ in stretched.calls)


def test_cancel_stops_within_one_piece() -> None:
    voice = ToneBackend(delay_s=0.1)
    engine = make_engine(voice)
    engine.load("test-tone")
    voice.calls.clear()
    cancel = threading.Event()
    text = "。".join(["这是一个用来测试取消的句子"] * 20) + "。"
    stream = engine.stream(text, "test-tone", SynthesisOptions(cancel=cancel))
    next(stream)
    cancel.set()
    with pytest.raises(SynthesisCancelled):
        list(stream)
    time.sleep(0.3)
    assert len(voice.calls) <= 5


def test_closing_the_stream_stops_the_worker() -> None:
    voice = ToneBackend(delay_s=0.05)
    engine = make_engine(voice)
    text = "。".join(["这是一个用来测试关闭的句子"] * 30) + "。"
    stream = engine.stream(text, "test-tone")
    next(stream)
    stream.close()
    time.sleep(0.3)
    made = len(voice.calls)
    time.sleep(0.3)
    assert len(voice.calls) == made < 10


def test_the_worker_ends_when_the_reader_leaves_after_the_last_piece_was_made() -> None:
    voice = ToneBackend()
    engine = make_engine(voice, lookahead=1)
    engine.load("test-tone")
    before = set(threading.enumerate())
    stream = engine.stream("第一句。第二句。第三句。", "test-tone")
    next(stream)
    time.sleep(0.2)  # the worker has made every piece and waits to hand over the rest
    stream.close()
    time.sleep(0.3)
    assert not [t for t in set(threading.enumerate()) - before if t.name == "voxflow-synth"]


def test_a_new_request_goes_before_streams_with_audio_to_spare() -> None:
    voice = ToneBackend(delay_s=0.1)
    engine = make_engine(voice)
    engine.load("test-tone")
    long_text = "。".join(f"这是很长的第{i}段话用来占用声音" for i in range(40)) + "。"
    for _ in range(2):  # one holds the voice while the other waits for it, seconds of audio ahead
        threading.Thread(target=lambda: list(engine.stream(long_text, "test-tone")), daemon=True).start()
    until(lambda: len(voice.calls) >= 6)
    asked = time.monotonic()
    next(engine.stream("短句。", "test-tone"))
    calls = [(piece.text, at) for piece, _, at in voice.calls]
    short_at = next(at for text, at in calls if text.startswith("短句"))
    # First come, first served would run the waiting stream's piece first.
    assert [text for text, at in calls if asked <= at < short_at] == []


def test_cancel_while_waiting_for_the_voice_gives_up_at_once() -> None:
    voice = ToneBackend(delay_s=0.5)
    engine = make_engine(voice)
    engine.load("test-tone")
    busy = threading.Thread(target=lambda: engine.synthesize("一二三四五六七八。", "test-tone"), daemon=True)
    busy.start()
    until(lambda: voice.started.is_set())
    cancel = threading.Event()
    stream = engine.stream("等待中的句子。", "test-tone", SynthesisOptions(cancel=cancel))
    threading.Timer(0.1, cancel.set).start()
    began = time.monotonic()
    with pytest.raises(SynthesisCancelled):
        list(stream)
    assert time.monotonic() - began < 0.3  # not after the other request's half-second piece
    busy.join(5)
    assert not [p for p, _, _ in voice.calls if p.text.startswith("等待")]


def test_pinyin_overrides_become_homophones_for_backends_without_pinyin() -> None:
    plain = ToneBackend("plain")
    engine = make_engine(plain)
    engine.synthesize("请重[chong2]新开始。", "plain")
    spoken = "".join(p.text for p, _, _ in plain.calls)
    assert "重" not in spoken and "新开始" in spoken


def test_voice_loads_once_under_concurrent_requests() -> None:
    voice = ToneBackend()
    engine = make_engine(voice)
    threads = [threading.Thread(target=engine.synthesize, args=("你好。", "test-tone")) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert voice.loads == 1
