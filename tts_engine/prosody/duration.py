"""Fitting speech to a length: a target in seconds, or a ratio of its natural length.

Each piece gets a share of what is left and is brought to exactly that many samples in three
steps, best sound first: the model's own rate (a second run at a corrected rate when the first
misses by more than RESYNTH_MISS), then the pause after it (within PAUSE_BOUNDS of its length),
then a time-stretch (python-stretch) of whatever remains. The last piece takes what is left, so
the whole lands on the target to the sample. With ``duration_ratio`` each piece is first spoken
at its natural rate to learn its length, so it costs a second model run per piece.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tts_engine.audio import dsp
from tts_engine.errors import InvalidOptionError

MIN_SPEED, MAX_SPEED = 0.5, 2.0  # the engine's; a duration asks no more of a model than a user may
PAUSE_BOUNDS = (0.5, 2.0)  # a pause may shrink to half or grow to twice its length to absorb a miss
RESYNTH_MISS = 0.08  # a model run this far off its share is run again at the corrected rate
PRIOR_UNITS = 6.0  # how many syllables the calibrated pace counts for against those heard
DEFAULT_MS_PER_UNIT = {"zh": 230.0, "en": 200.0}
# duration_s is refused this far from the estimated natural length: a little wider than the
# 0.5-2.0 a ratio may ask, as the estimate (syllables times the voice's pace) is off by ~10 %.
MIN_FIT, MAX_FIT = 0.4, 2.5
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[A-Za-z']+|\d")
_VOWELS = re.compile(r"[aeiouy]+", re.I)

Speak = Callable[[float], np.ndarray]  # speed -> the piece's speech at the output rate


def units(text: str) -> float:
    """About how many syllables ``text`` takes to say: a Han character each, vowel groups per word."""
    han = len(_HAN.findall(text))
    latin = 0
    for word in _WORD.findall(text):
        groups = len(_VOWELS.findall(word))
        if word.lower().endswith("e") and groups > 1 and not word.lower().endswith(("le", "ee")):
            groups -= 1
        latin += max(1, groups)
    return float(han + latin)


@dataclass(frozen=True)
class Need:
    """One piece as the fitter plans it: its syllables, the speed and pause it would get unfitted."""

    units: float
    speed: float
    pause_ms: float


def natural_ms(needs: Sequence[Need], ms_per_unit: float) -> float:
    """About how long the pieces take unfitted."""
    return sum(n.units * ms_per_unit / n.speed + n.pause_ms for n in needs)


def check_target(duration_s: float, estimate_ms: float) -> None:
    """Refuse a duration the speech cannot be fitted to without sounding broken."""
    natural_s = estimate_ms / 1000.0
    if natural_s <= 0 or MIN_FIT * natural_s <= duration_s <= MAX_FIT * natural_s:
        return
    raise InvalidOptionError(
        f"duration_s {duration_s:g} is {duration_s / natural_s:.2g} times the text's natural length "
        f"(about {natural_s:.1f} s); it must be {MIN_FIT:g}-{MAX_FIT:g} times that, "
        f"{MIN_FIT * natural_s:.1f}-{MAX_FIT * natural_s:.1f} s",
        "duration_s",
    )


@dataclass
class FitReport:
    """What fitting did to one piece, for benchmarks and logs (AudioChunk.extra["fit"])."""

    budget_ms: float
    natural_ms: float | None = None
    speed: float = 1.0
    runs: int = 0
    pause_ms: float = 0.0
    stretch: float = 1.0

    def as_dict(self) -> dict[str, float | int | None]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class Fitter:
    """Fits one plan's pieces, in order. ``target_ms`` or ``ratio`` (not both)."""

    needs: Sequence[Need]
    sample_rate: int
    ms_per_unit: float
    target_ms: float | None = None
    ratio: float | None = None
    _index: int = 0
    _made: int = 0  # samples handed out so far
    _heard_units: float = 0.0
    _heard_ms: float = 0.0  # natural (speed 1) speech time of the pieces made so far
    reports: list[FitReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        if (self.target_ms is None) == (self.ratio is None):
            raise ValueError("give target_ms or ratio")

    # -- planning -----------------------------------------------------------------
    def _pace(self) -> float:
        """Natural milliseconds per syllable: the voice's calibration, refined by what was heard."""
        return (self.ms_per_unit * PRIOR_UNITS + self._heard_ms) / (PRIOR_UNITS + self._heard_units)

    def _estimate(self, need: Need) -> tuple[float, float]:
        """(speech ms, pause ms) the piece would take unfitted."""
        return need.units * self._pace() / need.speed, need.pause_ms

    def _budget(self) -> int:
        """Samples for the current piece: its estimated share of what is left of the target."""
        assert self.target_ms is not None
        left = round(self.target_ms * self.sample_rate / 1000.0) - self._made
        if self._index == len(self.needs) - 1:
            return max(0, left)
        weights = [sum(self._estimate(n)) for n in self.needs[self._index :]]
        total = sum(weights)
        return max(0, round(left * weights[0] / total)) if total > 0 else 0

    # -- fitting ------------------------------------------------------------------
    def silence(self, pause_ms: float) -> np.ndarray:
        """A piece with nothing to say (a leading ``<break>``)."""
        if self.ratio is not None:
            budget = round(self.ratio * pause_ms * self.sample_rate / 1000.0)
        else:
            budget = self._budget()
        self._advance(FitReport(self._ms(budget), pause_ms=self._ms(budget)), budget)
        return np.zeros(budget, np.float32)

    def fit(self, speak: Speak, speed: float, pause_ms: float, native: bool) -> np.ndarray:
        """The current piece, exactly its share long. ``speak(speed)`` makes its speech (cleaned,
        levelled, at the output rate); ``native`` says the model changes its own rate (else a
        second run would only stretch again)."""
        need = self.needs[self._index]
        pause = pause_ms * self.sample_rate / 1000.0
        if self.ratio is not None:
            natural = speak(speed)
            self._hear(need, len(natural), speed)
            budget = round(self.ratio * (len(natural) + pause))
            report = FitReport(self._ms(budget), natural_ms=self._ms(len(natural)), speed=speed, runs=1)
            want, factor = self.ratio * len(natural), self.ratio
            audio = natural
        else:
            budget = self._budget()
            estimate_ms, _ = self._estimate(need)
            estimate = estimate_ms * self.sample_rate / 1000.0
            factor = budget / (estimate + pause) if estimate + pause > 0 else 1.0
            want = factor * estimate
            report = FitReport(self._ms(budget), speed=_clamp(speed / factor), runs=1)
            audio = speak(report.speed)
            self._hear(need, len(audio), report.speed)
        if native and want > 0 and abs(len(audio) - want) > RESYNTH_MISS * want:
            audio = self._again(speak, audio, report.speed * len(audio) / want, report)
        out = self._land(audio, budget, factor * pause, report)
        self._advance(report, budget)
        return out

    @staticmethod
    def _again(speak: Speak, audio: np.ndarray, speed: float, report: FitReport) -> np.ndarray:
        """The piece run again at ``speed`` (clamped), unless that is the speed it already had."""
        speed = _clamp(speed)
        if abs(speed - report.speed) < 1e-3:
            return audio
        report.speed, report.runs = speed, report.runs + 1
        return speak(speed)

    def _land(self, audio: np.ndarray, budget: int, pause: float, report: FitReport) -> np.ndarray:
        """``audio`` and a pause of about ``pause`` samples made exactly ``budget`` samples long:
        the pause absorbs what it can of the miss, a time-stretch the rest."""
        low, high = PAUSE_BOUNDS
        gap = budget - len(audio)
        pause_samples = round(min(high * pause, max(low * pause, gap))) if pause > 0 else 0
        speech = max(1, budget - pause_samples)
        if speech != len(audio) and len(audio):
            report.stretch = len(audio) / speech
            audio = _exact(dsp.time_stretch(audio, self.sample_rate, report.stretch), speech)
            audio = dsp.fade(audio, self.sample_rate)
        pause_samples = max(0, budget - len(audio))
        report.pause_ms = self._ms(pause_samples)
        return np.concatenate([audio, np.zeros(pause_samples, np.float32)])[:budget]

    def _hear(self, need: Need, samples: int, speed: float) -> None:
        if need.units > 0 and samples > 0:
            self._heard_units += need.units
            self._heard_ms += self._ms(samples) * speed

    def _advance(self, report: FitReport, budget: int) -> None:
        self.reports.append(report)
        self._made += budget
        self._index += 1

    def _ms(self, samples: float) -> float:
        return 1000.0 * samples / self.sample_rate


def _clamp(speed: float) -> float:
    return min(MAX_SPEED, max(MIN_SPEED, speed))


def _exact(x: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x[:n] if len(x) >= n else np.pad(x, (0, n - len(x)))
