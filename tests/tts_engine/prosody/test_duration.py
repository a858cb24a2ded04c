import numpy as np
import pytest

from tts_engine.prosody.duration import PAUSE_BOUNDS, PIECE_MS, Fitter, Need, units

RATE = 16000


def test_units_count_syllables_in_both_scripts() -> None:
    assert units("今天开会。") == 4
    assert units("Hello there") == 3
    assert units("make the cake") == 3  # a silent final e is not a syllable
    assert units("我们用 Python 写") == 6  # Py-thon


class FakeModel:
    """Speaks PIECE_MS plus ``ms_per_unit`` per syllable (times ``error``), divided by the speed."""

    def __init__(self, ms_per_unit: float, error: float = 1.0) -> None:
        self.ms_per_unit = ms_per_unit
        self.error = error
        self.speeds: list[float] = []

    def speaker(self, syllables: float):  # type: ignore[no-untyped-def]
        def speak(speed: float) -> np.ndarray:
            self.speeds.append(speed)
            n = round((PIECE_MS + syllables * self.ms_per_unit * self.error) / speed * RATE / 1000)
            return np.full(n, 0.1, np.float32)

        return speak


def fit_all(fitter: Fitter, model: FakeModel, needs: list[Need], native: bool = True) -> np.ndarray:
    parts = [fitter.fit(model.speaker(n.units), n.speed, n.pause_ms, native) for n in needs]
    return np.concatenate(parts)


@pytest.mark.parametrize("error", [0.8, 1.0, 1.25])
@pytest.mark.parametrize("target_s", [2.0, 3.3, 6.0])
def test_a_target_in_seconds_is_met_to_the_sample(error: float, target_s: float) -> None:
    needs = [Need(8, 1.0, 150), Need(12, 1.0, 350), Need(10, 1.0, 0)]
    model = FakeModel(200, error)
    fitter = Fitter(needs, RATE, 200, target_ms=1000 * target_s)
    out = fit_all(fitter, model, needs)
    assert len(out) == round(target_s * RATE)
    assert len(fitter.reports) == 3


def test_the_model_rate_does_the_work_when_the_pace_is_known() -> None:
    needs = [Need(10, 1.0, 200), Need(10, 1.0, 0)]
    model = FakeModel(200)
    natural_ms = 2 * (PIECE_MS + 10 * 200) + 200
    fitter = Fitter(needs, RATE, 200, target_ms=0.8 * natural_ms)
    fit_all(fitter, model, needs)
    assert all(r.runs == 1 for r in fitter.reports)
    assert all(abs(r.stretch - 1) < 0.01 for r in fitter.reports)
    assert model.speeds[0] == pytest.approx(1 / 0.8, rel=0.02)


def test_a_wrong_pace_is_corrected_by_a_second_run_then_pause_then_stretch() -> None:
    needs = [Need(10, 1.0, 300), Need(10, 1.0, 300), Need(10, 1.0, 0)]
    model = FakeModel(200, error=1.3)  # the voice is 30 % slower than its calibration said
    fitter = Fitter(needs, RATE, 200, target_ms=6000)
    out = fit_all(fitter, model, needs)
    assert len(out) == 6 * RATE
    first = fitter.reports[0]
    assert first.runs == 2  # missed by 30 %: run again at the corrected rate
    assert first.speed > 1.0
    assert abs(first.stretch - 1) < 0.02
    # later pieces learn the pace and need one run
    assert fitter.reports[-1].runs == 1
    # pauses follow the overall factor, moved at most within PAUSE_BOUNDS to absorb a miss
    factor = 6000 / sum(PIECE_MS + n.units * 200 * 1.3 + n.pause_ms for n in needs)
    low, high = PAUSE_BOUNDS
    for report, need in zip(fitter.reports, needs, strict=True):
        if need.pause_ms:
            fitted = factor * need.pause_ms
            assert 0.9 * low * fitted <= report.pause_ms <= 1.1 * high * fitted


def test_a_ratio_is_met_per_piece_against_its_natural_length() -> None:
    needs = [Need(10, 1.0, 300), Need(7, 1.0, 0)]
    model = FakeModel(180, error=1.1)
    natural = len(model.speaker(10)(1.0)) + 300 * RATE // 1000 + len(model.speaker(7)(1.0))
    model.speeds.clear()
    fitter = Fitter(needs, RATE, 200, ratio=1.5)
    out = fit_all(fitter, model, needs)
    assert len(out) == pytest.approx(1.5 * natural, abs=2)
    assert model.speeds[:2] == [1.0, pytest.approx(1 / 1.5)]  # natural first, then the model's rate


def test_without_a_native_rate_the_model_runs_once() -> None:
    needs = [Need(10, 1.0, 0)]
    model = FakeModel(200, error=1.4)
    fitter = Fitter(needs, RATE, 200, target_ms=1500)
    out = fit_all(fitter, model, needs, native=False)
    assert len(out) == round(1.5 * RATE)
    assert fitter.reports[0].runs == 1


def test_a_leading_silence_takes_its_share() -> None:
    needs = [Need(0, 1.0, 500), Need(10, 1.0, 0)]
    fitter = Fitter(needs, RATE, 200, target_ms=2500)
    lead = fitter.silence(500)
    rest = fitter.fit(FakeModel(200).speaker(10), 1.0, 0, True)
    assert not lead.any()
    assert len(lead) + len(rest) == round(2.5 * RATE)
