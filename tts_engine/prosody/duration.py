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
# A piece lasts about PIECE_MS plus its syllables times the voice's pace (at speed 1): fitted on
# pieces of 1-30 syllables, the fixed part was 130-260 ms on every voice (onset, final lengthening,
# the kept edges) and the pace 180-250 ms per syllable.
PIECE_MS = 200.0
DEFAULT_MS_PER_UNIT = {"zh": 220.0, "en": 220.0}
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


def speech_ms(units: float, ms_per_unit: float, speed: float) -> float:
    """About how long a piece of ``units`` syllables takes to say at ``speed``."""
    return (PIECE_MS + units * ms_per_unit) / speed if units > 0 else 0.0


def pace(ms: float, text: str) -> float:
    """Milliseconds per syllable (at speed 1) of a voice that took ``ms`` to say ``text``."""
    return max(0.0, ms - PIECE_MS) / max(1.0, units(text))


def natural_ms(needs: Sequence[Need], ms_per_unit: float) -> float:
    """About how long the pieces take unfitted."""
    return sum(speech_ms(n.units, ms_per_unit, n.speed) + n.pause_ms for n in needs)


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
        return speech_ms(need.units, self._pace(), need.speed), need.pause_ms

    def _left(self) -> int:
        """Samples of the target not yet handed out."""
        assert self.target_ms is not None
        return round(self.target_ms * self.sample_rate / 1000.0) - self._made

    def _after(self) -> float:
        """Estimated unfitted samples of the pieces after the current one."""
        ms = sum(sum(self._estimate(n)) for n in self.needs[self._index + 1 :])
        return ms * self.sample_rate / 1000.0

    # -- fitting ------------------------------------------------------------------
    def silence(self, pause_ms: float) -> np.ndarray:
        """A piece with nothing to say (a leading ``<break>``)."""
        pause = pause_ms * self.sample_rate / 1000.0
        if self.ratio is not None:
            budget = round(self.ratio * pause)
        else:
            left = self._left()
            budget = left if self._last_piece else round(left * pause / (pause + self._after()))
        budget = max(0, budget)
        self._advance(FitReport(self._ms(budget), pause_ms=self._ms(budget)), budget)
        return np.zeros(budget, np.float32)

    def fit(self, speak: Speak, speed: float, pause_ms: float, native: bool) -> np.ndarray:
        """The current piece, exactly its share long. ``speak(speed)`` makes its speech (cleaned,
        levelled, at the output rate); ``native`` says the model changes its own rate (else a
        second run would only stretch again).

        With a target in seconds, the piece is first spoken at the rate its estimated share asks;
        its real natural length (from that run) then sets its share: what is left of the target,
        divided in proportion to this piece and the estimates of those after it.
        """
        need = self.needs[self._index]
        pause = pause_ms * self.sample_rate / 1000.0
        if self.ratio is not None:
            audio = speak(speed)
            natural, factor = float(len(audio)), self.ratio
            report = FitReport(0.0, natural_ms=self._ms(natural), speed=speed, runs=1)
            self._hear(need, len(audio), speed)
        else:
            left = self._left()
            estimate_ms, _ = self._estimate(need)
            estimate = estimate_ms * self.sample_rate / 1000.0
            first = left / max(1.0, estimate + pause + self._after())
            report = FitReport(0.0, speed=_clamp(speed / first), runs=1)
            audio = speak(report.speed)
            natural = len(audio) * report.speed / speed  # this piece at its unfitted speed
            self._hear(need, len(audio), report.speed)  # the pieces after are estimated better now
            factor = left / max(1.0, natural + pause + self._after())
        budget = max(0, round(factor * (natural + pause)))
        if self.target_ms is not None and self._last_piece:
            budget = max(0, self._left())
        report.budget_ms = self._ms(budget)
        want = factor * natural
        if native and want > 0 and abs(len(audio) - want) > RESYNTH_MISS * want:
            audio = self._again(speak, audio, report.speed * len(audio) / want, report)
        out = self._land(audio, budget, factor * pause, report)
        self._advance(report, budget)
        return out

    @property
    def _last_piece(self) -> bool:
        return self._index == len(self.needs) - 1

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
            self._heard_ms += max(0.0, self._ms(samples) * speed - PIECE_MS)

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
