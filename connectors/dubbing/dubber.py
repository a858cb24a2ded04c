"""Making the dubbed track: every cue checked first, then spoken, fitted and placed in time order.

Each cue is spoken once as it comes (its style, no target length) to learn its natural length;
:func:`timing.decide` says how long it may be, and when that differs the engine's own duration
fitting (``Expression(duration_s=...)``) speaks it again to that length. The model's silent
edges are cut, so the speech starts on the cue's time to the sample; silence fills the rest.
The track comes out as pieces in order, so a long film never sits in memory whole.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from tts_engine.audio import dsp
from tts_engine.engine import MAX_RATE, MIN_RATE, Engine
from tts_engine.errors import InvalidOptionError, TTSError
from tts_engine.prosody.expression import MAX_DURATION_RATIO, MIN_DURATION_RATIO, Expression
from tts_engine.types import SynthesisOptions

from . import markup
from .config import DubbingConfig
from .subtitles import Cue, SubtitleError
from .timing import Fit, Slot, check_estimate, decide, estimate_ms, slots

CUT_NOTE_MS = 40.0  # speech cut at the next cue by more than this is noted
WINDOW_MS = 2.0  # the resolution of the speech edges
SILENT_DB = -50.0  # below this (dBFS, RMS over a window) is the model's silence, not speech


@dataclass(frozen=True)
class DubOptions:
    """For the whole file: ``voice`` (else the engine's voice for each cue's language), ``style``
    and ``intensity`` (a cue's prefix wins), ``speakers`` label -> voice, and the fitting rules."""

    voice: str | None = None
    style: str = "neutral"
    intensity: float = 1.0
    speakers: Mapping[str, str] = field(default_factory=dict)
    rules: DubbingConfig = field(default_factory=lambda: DubbingConfig.model_validate({}))
    sample_rate: int | None = None


@dataclass(frozen=True)
class Task:
    """One cue, checked: what it says, in which voice and style, and its slot."""

    cue: Cue
    line: markup.Line
    voice: str
    style: str
    intensity: float
    slot: Slot


@dataclass(frozen=True)
class Placed:
    """A cue as dubbed: its speech runs ``start_ms``-``end_ms`` in the track."""

    task: Task
    start_ms: float
    end_ms: float
    natural_ms: float
    fit: Fit

    @property
    def compression(self) -> float:
        return self.fit.compression


def speech_span(samples: np.ndarray, sample_rate: int) -> tuple[int, int]:
    """(first, last + 1) sample of the speech in ``samples``: windows of WINDOW_MS louder than
    SILENT_DB. (0, 0) when all is silent."""
    win = max(1, round(sample_rate * WINDOW_MS / 1000.0))
    n = len(samples) // win
    if n == 0:
        return 0, 0
    frames = np.asarray(samples[: n * win], dtype=np.float64).reshape(n, win)
    loud = np.flatnonzero(np.sqrt(np.mean(frames**2, axis=1)) > 10.0 ** (SILENT_DB / 20.0))
    if not len(loud):
        return 0, 0
    return int(loud[0] * win), int(min(len(samples), (loud[-1] + 1) * win))


class Dubber:
    """Dubs cues with one engine. :meth:`check` refuses a bad file before any audio is made."""

    def __init__(
        self,
        engine: Engine,
        options: DubOptions,
        cancel: threading.Event | None = None,
        on_cue: Callable[[int, int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.options = options
        self.cancel = cancel
        self.on_cue = on_cue
        self.placed: list[Placed] = []
        self.notes: list[str] = []

    # -- checking ------------------------------------------------------------------------
    def check(self, cues: Sequence[Cue]) -> list[Task]:
        """Each cue's words, voice and style, checked; SubtitleError naming the cue, or a TTSError
        naming the option (an unknown --voice or --style) that is wrong for the whole file."""
        opts = self.options
        Expression(opts.style, opts.intensity).check(self.engine.styles)
        if opts.sample_rate is not None and not MIN_RATE <= opts.sample_rate <= MAX_RATE:
            raise InvalidOptionError(
                f"sample_rate must be between {MIN_RATE} and {MAX_RATE} Hz, got {opts.sample_rate}",
                "sample_rate",
            )
        if opts.voice is not None:
            self.engine.registry.info(opts.voice)  # UnknownVoiceError names it
        for speaker, voice in opts.speakers.items():
            try:
                self.engine.registry.info(voice)
            except TTSError as exc:
                raise InvalidOptionError(f"speaker {speaker!r}: {exc}", "speakers") from None
        tasks = []
        for cue, slot in zip(cues, slots(cues), strict=True):
            line = markup.read(cue, opts.speakers)
            if not line.text:
                raise SubtitleError(f"{cue.label}: it has no text to speak")
            voice = self._voice(cue, line)
            style = line.style or opts.style
            intensity = opts.intensity if line.intensity is None else line.intensity
            task = Task(cue, line, voice, style, intensity, slot)
            try:
                self.engine.prepare(line.text, voice, self._synthesis(task))
            except TTSError as exc:
                raise _named(cue.label, exc) from None
            check_estimate(cue, slot, estimate_ms(line.text), opts.rules)
            tasks.append(task)
        return tasks

    def _voice(self, cue: Cue, line: markup.Line) -> str:
        if line.speaker is not None and line.speaker in self.options.speakers:
            return self.options.speakers[line.speaker]
        if line.speaker is not None:
            note = f"speaker {line.speaker!r} has no voice in the speaker table; the file's voice speaks"
            if note not in self.notes:
                self.notes.append(note)
        return self.options.voice or self.engine.default_voice(line.text, ssml=False)

    def sample_rate(self, tasks: Sequence[Task]) -> int:
        """The track's rate: as asked, else the highest of its voices' (nothing is thrown away)."""
        if self.options.sample_rate is not None:
            return self.options.sample_rate
        return max(self.engine.registry.info(t.voice).sample_rate for t in tasks)

    # -- dubbing -------------------------------------------------------------------------
    def track(self, tasks: Sequence[Task], sample_rate: int) -> Iterator[np.ndarray]:
        """The dubbed track in pieces: silence and each cue's speech in time order, exactly as
        long as the subtitles (the last cue's end)."""
        self.placed = []
        made = 0
        for i, task in enumerate(tasks):
            start = _samples(task.slot.start_ms, sample_rate)
            room = _samples(task.slot.room_end_ms, sample_rate) - start
            speech, natural_ms, fit = self._speak(task, sample_rate)
            if len(speech) > room:  # never into the next cue; the fitting misses by 2 % at most
                cut_ms = _ms(len(speech) - room, sample_rate)
                if cut_ms > CUT_NOTE_MS:
                    self.notes.append(f"{task.cue.label}: the last {cut_ms:.0f} ms of its speech were cut")
                speech = speech[:room]
            if start > made:
                yield np.zeros(start - made, np.float32)
                made = start
            yield dsp.fade(speech, sample_rate, in_ms=0.0)
            made += len(speech)
            self.placed.append(Placed(task, _ms(start, sample_rate), _ms(made, sample_rate), natural_ms, fit))
            if self.on_cue is not None:
                self.on_cue(i + 1, len(tasks))
        end = _samples(tasks[-1].slot.room_end_ms, sample_rate) if tasks else 0
        if end > made:
            yield np.zeros(end - made, np.float32)

    def _speak(self, task: Task, rate: int) -> tuple[np.ndarray, float, Fit]:
        """The cue's speech without its silent edges, its natural length (ms) and how it was fitted."""
        natural = self.engine.synthesize(task.line.text, task.voice, self._synthesis(task, rate)).samples
        first, last = speech_span(natural, rate)
        natural_ms = _ms(last - first, rate)
        fit = decide(task.cue, task.slot, natural_ms, self.options.rules)
        if not fit.refit:
            return natural[first:last], natural_ms, fit
        # the model's edges are asked for too, in proportion, and cut again below
        whole = fit.target_ms * len(natural) / max(1, last - first) / 1000.0
        try:
            fitted = self._fitted(task, rate, Expression(task.style, task.intensity, duration_s=whole))
        except InvalidOptionError as exc:
            if exc.field != "duration_s":
                raise _named(task.cue.label, exc) from None
            # the engine's estimate of the text's length is off for this cue: ask for a ratio of
            # the length just heard instead, which needs no estimate
            ratio = min(MAX_DURATION_RATIO, max(MIN_DURATION_RATIO, fit.target_ms / natural_ms))
            fitted = self._fitted(task, rate, Expression(task.style, task.intensity, duration_ratio=ratio))
        first, last = speech_span(fitted, rate)
        return fitted[first:last], natural_ms, fit

    def _fitted(self, task: Task, rate: int, expression: Expression) -> np.ndarray:
        options = SynthesisOptions(sample_rate=rate, ssml=False, cancel=self.cancel, expression=expression)
        return self.engine.synthesize(task.line.text, task.voice, options).samples

    def _synthesis(self, task: Task, rate: int | None = None) -> SynthesisOptions:
        expression = Expression(task.style, task.intensity)
        return SynthesisOptions(sample_rate=rate, ssml=False, cancel=self.cancel, expression=expression)


def _named(where: str, exc: TTSError) -> SubtitleError:
    """A cue's own problem (its style, its language, no words) as a SubtitleError naming the cue."""
    return SubtitleError(f"{where}: {exc}")


def _samples(ms: float, rate: int) -> int:
    return round(ms * rate / 1000.0)


def _ms(samples: int, rate: int) -> float:
    return 1000.0 * samples / rate
