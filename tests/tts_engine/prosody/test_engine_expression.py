"""The engine realising styles and durations, on deterministic tone voices."""

import numpy as np
import parselmouth
import pytest

from tts_engine.audio import dsp
from tts_engine.engine import CALIBRATION, Engine
from tts_engine.errors import InvalidOptionError, SSMLError
from tts_engine.prosody.controls import PITCH_ST, Controls
from tts_engine.prosody.expression import Expression
from tts_engine.prosody.styles import StyleBook
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend
from tts_engine.text.piece import Piece
from tts_engine.types import SynthesisOptions

TEXT = "今天下午我们开会，讨论新产品。大家都同意这个计划。"


class PitchedTone(ToneBackend):
    """A tone voice that moves its own pitch level, as a model with a pitch input would."""

    controls = frozenset({PITCH_ST})

    def __init__(self) -> None:
        super().__init__("pitched-tone")
        self.asked: list[Controls] = []

    def synthesize_with(self, piece: Piece, speed: float, controls: Controls) -> np.ndarray:
        self.asked.append(controls)
        audio = self.synthesize(piece, speed)
        hz = 220.0 * 2 ** (controls.pitch_st / 12)
        t = np.arange(len(audio)) / self.info.sample_rate
        return (self.amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def make_engine(*backends: ToneBackend, **kw: object) -> Engine:
    registry = VoiceRegistry([b.info for b in backends], {b.info.id: (lambda b=b: b) for b in backends})
    return Engine(registry, **kw)  # type: ignore[arg-type]


def styled(style: str, intensity: float = 1.0, **kw: float) -> SynthesisOptions:
    return SynthesisOptions(expression=Expression(style=style, intensity=intensity, **kw))  # type: ignore[arg-type]


def median_hz(x: np.ndarray, rate: int) -> float:
    f = parselmouth.Sound(x.astype(np.float64), rate).to_pitch(0.01, 60, 600).selected_array["frequency"]
    return float(np.median(f[f > 0]))


def speech_lufs(x: np.ndarray, rate: int) -> float:
    return dsp.loudness_lufs(x[np.abs(x) > 1e-4], rate)


def test_styles_move_loudness_pace_and_pitch_by_their_targets() -> None:
    engine = make_engine(ToneBackend())
    book = StyleBook()
    plain = engine.synthesize(TEXT, "test-tone")
    rate = plain.sample_rate
    for name in ("angry", "sad", "cheerful"):
        targets = book.get(name).targets
        out = engine.synthesize(TEXT, "test-tone", styled(name))
        db = speech_lufs(out.samples, rate) - speech_lufs(plain.samples, rate)
        assert db == pytest.approx(targets.gain_db, abs=0.5), name
        st = 12 * np.log2(median_hz(out.samples, rate) / median_hz(plain.samples, rate))
        assert st == pytest.approx(targets.pitch_st, abs=0.3), name
        # every piece's speech and pause follow the rate and pause factors
        assert out.duration_s < plain.duration_s if targets.rate > 1 else out.duration_s > plain.duration_s


def test_intensity_half_lies_between_neutral_and_full() -> None:
    engine = make_engine(ToneBackend())
    plain, half, full = (
        engine.synthesize(TEXT, "test-tone", styled("sad", i)).duration_s for i in (0.0, 0.5, 1.0)
    )
    assert plain < half < full


def test_a_model_that_moves_pitch_itself_gets_the_control_and_no_psola() -> None:
    voice = PitchedTone()
    engine = make_engine(voice)
    out = engine.synthesize(TEXT, voice.info.id, styled("cheerful"))
    shift = StyleBook().get("cheerful").targets.pitch_st
    assert voice.asked and {c.pitch_st for c in voice.asked} == {shift}
    assert all(c.range == 1.0 for c in voice.asked)  # range is not its to do
    st = 12 * np.log2(median_hz(out.samples, out.sample_rate) / 220.0)
    assert st == pytest.approx(shift, abs=0.3)  # moved once, not twice


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("target_s", [1.5, 2.6, 4.0])
def test_duration_s_lands_on_the_target(native: bool, target_s: float) -> None:
    engine = make_engine(ToneBackend(native_speed=native))
    out = engine.synthesize(TEXT, "test-tone", styled("neutral", duration_s=target_s))
    assert len(out.samples) == round(target_s * out.sample_rate)
    assert out.sentences[-1].end_ms == pytest.approx(1000 * target_s, abs=1)


@pytest.mark.parametrize("ratio", [0.6, 1.0, 1.6])
def test_duration_ratio_scales_the_natural_length(ratio: float) -> None:
    engine = make_engine(ToneBackend())
    natural = engine.synthesize(TEXT, "test-tone", styled("calm"))
    out = engine.synthesize(TEXT, "test-tone", styled("calm", duration_ratio=ratio))
    assert len(out.samples) == pytest.approx(ratio * len(natural.samples), abs=4)


def test_bad_expression_fails_before_any_synthesis() -> None:
    voice = ToneBackend()
    engine = make_engine(voice)
    for options, field in [
        (styled("sleepy"), "style"),
        (styled("sad", 3), "intensity"),
        (styled("sad", duration_s=0), "duration_s"),
        (styled("neutral", duration_s=60), "duration_s"),  # 30 syllables are not a minute of speech
        (styled("neutral", duration_s=0.5), "duration_s"),
    ]:
        with pytest.raises(InvalidOptionError) as info:
            engine.prepare(TEXT, "test-tone", options)
        assert info.value.field == field
    # only the level and pace calibration ran (a duration needs the voice's pace), nothing of TEXT
    assert {p.text for p, _, _ in voice.calls} <= {CALIBRATION["zh"]}


def test_styles_from_settings_reach_the_engine() -> None:
    book = StyleBook.from_settings({"whisper": {"gain_db": -10}})
    engine = make_engine(ToneBackend(), styles=book)
    plain = engine.synthesize(TEXT, "test-tone")
    quiet = engine.synthesize(TEXT, "test-tone", styled("whisper"))
    rate = plain.sample_rate
    assert speech_lufs(quiet.samples, rate) - speech_lufs(plain.samples, rate) == pytest.approx(-10, abs=0.5)


def test_ssml_styles_and_prosody_apply_to_their_own_text() -> None:
    engine = make_engine(ToneBackend())
    ns = 'xmlns:mstts="https://www.w3.org/2001/mstts"'
    ssml = (
        f"<speak {ns}>平常的一句话。<mstts:express-as style='angry'>"
        "<prosody pitch='+2st' volume='+2dB'>生气的一句话。</prosody></mstts:express-as></speak>"
    )
    chunks = list(engine.stream(ssml, "test-tone"))
    rate = chunks[0].sample_rate
    plain = np.concatenate([c.samples for c in chunks if c.sentence.index == 0])
    angry = np.concatenate([c.samples for c in chunks if c.sentence.index == 1])
    targets = StyleBook().get("angry").targets
    st = 12 * np.log2(median_hz(angry, rate) / median_hz(plain, rate))
    assert st == pytest.approx(targets.pitch_st + 2, abs=0.3)
    assert speech_lufs(angry, rate) - speech_lufs(plain, rate) == pytest.approx(targets.gain_db + 2, abs=0.5)


def test_an_unknown_ssml_style_is_an_ssml_error_naming_the_tag() -> None:
    engine = make_engine(ToneBackend())
    ssml = "<speak><mstts:express-as style='sleepy'>好。</mstts:express-as></speak>"
    with pytest.raises(SSMLError, match="unknown style 'sleepy'") as info:
        engine.prepare(ssml, "test-tone")
    assert info.value.tag == "mstts:express-as"
