"""Streaming synthesis: front-end pieces routed to backends, cleaned, levelled and joined without clicks."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from .audio import dsp
from .audio.codecs import open_encoder, output_rate
from .backend import Backend
from .errors import InvalidOptionError, SynthesisCancelled, UnknownVoiceError, UnsupportedLanguageError
from .policy import TextPolicy, screened_text
from .prosody import realise
from .prosody.duration import DEFAULT_MS_PER_UNIT, Fitter, pace
from .prosody.styles import StyleBook
from .registry import VoiceRegistry
from .text import Lexicon, Piece, analyze, main_language
from .text.frontend import is_ssml
from .text.pinyin import apply_homophones
from .types import AudioChunk, SentenceTiming, SynthesisOptions, VoiceInfo
from .voice import Voice

log = logging.getLogger(__name__)

MIN_SPEED, MAX_SPEED = 0.5, 2.0
MIN_RATE, MAX_RATE = 8000, 48000
CALIBRATION = {
    "zh": "今天下午三点，我们在会议室讨论了新产品的发布计划。",
    "en": "This afternoon at three, we discussed the launch plan for the new product.",
}


@dataclass(frozen=True)
class Route:
    piece: Piece
    voice_id: str


@dataclass
class Plan:
    """A checked request: every piece knows its voice before any audio is made."""

    voice: VoiceInfo
    routes: list[Route]
    sample_rate: int
    options: SynthesisOptions
    sentence_texts: dict[int, str] = field(default_factory=dict)
    rendition: realise.Rendition = field(default_factory=realise.Rendition)

    @property
    def sentences(self) -> int:
        return len(self.sentence_texts)

    @property
    def characters(self) -> int:
        return sum(len(r.piece.text) for r in self.routes)


@dataclass
class Synthesis:
    """A whole utterance: samples, rate in Hz and sentence timings."""

    samples: np.ndarray
    sample_rate: int
    sentences: list[SentenceTiming]

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


class Engine:
    """Owns the voices and turns requests into audio.

    ``default_voices`` maps a language to the voice that speaks segments in that
    language when the requested voice cannot (a Mandarin-only voice reading an
    English product name). ``policy`` screens every text before any of it is synthesized.
    """

    def __init__(
        self,
        registry: VoiceRegistry,
        *,
        default_voices: Mapping[str, str] | None = None,
        max_chars: int = 200_000,
        lexicon: Lexicon | None = None,
        target_lufs: float = -20.0,
        lookahead: int = 2,
        styles: StyleBook | None = None,
        policy: TextPolicy | None = None,
    ) -> None:
        self.registry = registry
        self.default_voices = dict(default_voices or {})
        self.max_chars = max_chars
        self.lexicon = lexicon
        self.target_lufs = target_lufs
        self.lookahead = lookahead
        self.styles = styles or StyleBook()
        self.policy = policy or TextPolicy()
        self._gains: dict[str, float] = {}
        self._paces: dict[str, float] = {}  # natural ms per syllable, from the calibration sentence
        self._gain_lock = threading.Lock()

    # -- voices -----------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        return self.registry.infos()

    def voice(self, voice_id: str) -> Voice:
        return EngineVoice(self, self.registry.info(voice_id))

    def default_voice(self, text: str, *, ssml: bool | None = None) -> str:
        """The voice for a request that names none: the configured one for the language most of
        ``text`` is in (:func:`~tts_engine.text.main_language`), else the first configured one.
        Every entry point (CLI, HTTP, OpenAI names, WebSocket, jobs, batches) asks here."""
        if not self.default_voices:
            raise UnknownVoiceError("(none given and engine.default_voice is empty)", self.registry.ids())
        lang = main_language(text, ssml=ssml)
        return self.default_voices.get(lang) or next(iter(self.default_voices.values()))

    def load(self, voice_id: str) -> Backend:
        """Load a voice and measure its level once, so later requests start warm."""
        backend = self.registry.get(voice_id)
        self._gain(voice_id, backend)
        return backend

    def warm_up(self, voice_ids: list[str]) -> None:
        from .text.frontend import warm_up

        warm_up()
        for voice_id in voice_ids:
            self.load(voice_id)

    def _gain(self, voice_id: str, backend: Backend) -> float:
        gain = self._gains.get(voice_id)
        if gain is not None:
            return gain
        with self._gain_lock:
            if voice_id not in self._gains:
                lang = backend.info.language
                piece = Piece(text=CALIBRATION.get(lang, CALIBRATION["en"]), lang=lang)
                with backend.turns.turn():
                    audio = backend.synthesize(piece, 1.0)
                self._gains[voice_id] = dsp.gain_for_target(audio, backend.info.sample_rate, self.target_lufs)
                self._paces[voice_id] = pace(1000.0 * len(audio) / backend.info.sample_rate, piece.text)
                log.info("voice %s loaded, level gain %.2f", voice_id, self._gains[voice_id])
            return self._gains[voice_id]

    # -- requests ---------------------------------------------------------
    def prepare(self, text: str, voice_id: str, options: SynthesisOptions | None = None) -> Plan:
        """Check everything that can be wrong with a request before synthesis starts."""
        options = options or SynthesisOptions()
        info = self.registry.info(voice_id)
        if not MIN_SPEED <= options.speed <= MAX_SPEED:
            raise InvalidOptionError(
                f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {options.speed}"
            )
        if options.sample_rate is not None and not MIN_RATE <= options.sample_rate <= MAX_RATE:
            raise InvalidOptionError(
                f"sample_rate must be between {MIN_RATE} and {MAX_RATE} Hz, got {options.sample_rate}"
            )
        limit = options.max_chars or self.max_chars
        pieces = analyze(
            text, ssml=options.ssml, lexicon=self.lexicon, max_chars=limit, max_piece_chars=info.piece_chars
        )
        self.policy.screen(screened_text(text, is_ssml(text, options.ssml), pieces))
        routes = [Route(p, self._route(info, p, options)) for p in pieces]
        rendition = realise.Rendition.check(self.styles, options.expression, (p.tone for p in pieces))
        texts: dict[int, str] = {}
        for p in pieces:
            texts[p.sentence] = texts.get(p.sentence, "") + p.display
        rate = options.sample_rate or info.sample_rate
        plan = Plan(info, routes, rate, options, texts, rendition)
        if options.expression.duration_s is not None:
            self.load(info.id)  # its measured pace tells whether the text fits the duration
            rendition.check_duration(self._needs(plan), self._pace(info))
        return plan

    def _route(self, info: VoiceInfo, piece: Piece, options: SynthesisOptions) -> str:
        if piece.is_silence or piece.lang in info.languages:
            return info.id
        fallback = self.default_voices.get(piece.lang)
        if options.route_languages and fallback and fallback in self.registry.ids():
            return fallback
        raise UnsupportedLanguageError(
            f"voice {info.id} speaks {', '.join(info.languages)}, not {piece.lang!r}"
            f" (in {piece.display[:40]!r}), and no voice is configured for {piece.lang!r}"
        )

    def run(self, plan: Plan) -> Iterator[AudioChunk]:
        """Synthesize a plan, yielding chunks while later pieces are still being made."""
        cancel = plan.options.cancel or threading.Event()
        out: queue.Queue[tuple[Route, np.ndarray] | BaseException | None] = queue.Queue(self.lookahead)
        stop = threading.Event()
        fit = self._fitter(plan)

        def gone() -> bool:
            return cancel.is_set() or stop.is_set()

        def hand(item: tuple[Route, np.ndarray] | BaseException | None) -> None:
            while not stop.is_set():  # a consumer that left must not leave this thread blocked
                try:
                    out.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        def produce() -> None:
            # A first piece is due when asked for; a later one when the audio before it has
            # played out, counted from when the first was ready. Streams sharing a voice take
            # turns by that deadline, so a listener about to run dry goes before one far ahead.
            asked, first_ready, made_s = time.monotonic(), 0.0, 0.0
            try:
                for route in plan.routes:
                    if gone():
                        return
                    deadline = first_ready + made_s if first_ready else asked
                    audio = self._render(route, plan, deadline, gone, fit)
                    first_ready = first_ready or time.monotonic()
                    made_s += len(audio) / plan.sample_rate
                    hand((route, audio))
                hand(None)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                hand(exc)

        worker = threading.Thread(target=produce, name="voxflow-synth", daemon=True)
        worker.start()
        offset = 0.0
        starts: dict[int, float] = {}
        last_index = {r.piece.sentence: i for i, r in enumerate(plan.routes)}
        try:
            for i in range(len(plan.routes) + 1):
                item = self._next(out, cancel)
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                route, audio = item
                sentence = route.piece.sentence
                start = starts.setdefault(sentence, offset)
                duration = 1000.0 * len(audio) / plan.sample_rate
                timing = SentenceTiming(
                    sentence, plan.sentence_texts.get(sentence, ""), start, offset + duration
                )
                yield AudioChunk(
                    samples=audio,
                    sample_rate=plan.sample_rate,
                    offset_ms=offset,
                    sentence=timing,
                    final=last_index[sentence] == i,
                    voice_id=route.voice_id,
                    extra={"piece": route.piece.display, **_fitted(fit, i)},
                )
                offset += duration
        finally:
            stop.set()

    @staticmethod
    def _next(
        out: queue.Queue[tuple[Route, np.ndarray] | BaseException | None], cancel: threading.Event
    ) -> tuple[Route, np.ndarray] | BaseException | None:
        while True:
            if cancel.is_set():
                raise SynthesisCancelled("synthesis cancelled")
            try:
                return out.get(timeout=0.05)
            except queue.Empty:
                continue

    def _render(
        self,
        route: Route,
        plan: Plan,
        deadline: float | None = None,
        give_up: Callable[[], bool] | None = None,
        fit: Fitter | None = None,
    ) -> np.ndarray:
        """One piece, cleaned and levelled; ``deadline`` is when its listener runs dry (monotonic s)."""
        piece, rate = route.piece, plan.sample_rate
        targets = plan.rendition.targets(piece.tone)
        pause_ms = piece.pause_ms * targets.pause
        if piece.is_silence:
            return fit.silence(pause_ms) if fit else dsp.silence(pause_ms, rate)
        backend = self.registry.get(route.voice_id)
        gain = self._gain(route.voice_id, backend) * realise.gain(targets)
        # the model does the pitch it can; PSOLA does the rest
        model, rest = realise.controls(targets).split(backend.controls)
        if piece.pinyin and not backend.takes_pinyin:
            piece = replace(piece, text=apply_homophones(piece), pinyin={})

        def speak(speed: float) -> np.ndarray:
            speed = min(MAX_SPEED, max(MIN_SPEED, speed))
            with backend.turns.turn(deadline, give_up):
                audio = backend.synthesize_with(piece, speed if backend.native_speed else 1.0, model)
            src = backend.info.sample_rate
            audio = np.asarray(audio, dtype=np.float32).ravel()
            if not backend.native_speed and speed != 1.0:
                audio = dsp.time_stretch(audio, src, speed)
            audio = realise.after_model(audio, src, rest)
            # Backends trim their own padding; the engine only cleans and levels.
            audio = dsp.remove_dc(audio)
            audio = dsp.limit(audio * gain)
            audio = dsp.resample(audio, src, rate)
            return dsp.fade(audio, rate)

        speed = self._speed(plan, piece, targets.rate)
        if fit is not None:
            return fit.fit(speak, speed, pause_ms, backend.native_speed)
        audio, pause = speak(speed), dsp.silence(pause_ms, rate)
        return np.concatenate([audio, pause]).astype(np.float32) if len(pause) else audio

    @staticmethod
    def _speed(plan: Plan, piece: Piece, style_rate: float) -> float:
        return min(MAX_SPEED, max(MIN_SPEED, plan.options.speed * piece.rate * style_rate))

    def _fitter(self, plan: Plan) -> Fitter | None:
        """Duration fitting for ``plan``, when it asks for a length; loads its voice for the pace."""
        if not plan.rendition.expression.fitted:
            return None
        self.load(plan.voice.id)
        return plan.rendition.fitter(self._needs(plan), plan.sample_rate, self._pace(plan.voice))

    def _needs(self, plan: Plan) -> list[tuple[str, float, float]]:
        """Each piece's text, speed and pause (ms), as the duration fitter plans them."""
        needs = []
        for route in plan.routes:
            targets = plan.rendition.targets(route.piece.tone)
            speed = self._speed(plan, route.piece, targets.rate)
            needs.append((route.piece.text, speed, route.piece.pause_ms * targets.pause))
        return needs

    def _pace(self, info: VoiceInfo) -> float:
        """Natural ms per syllable: measured when the voice loaded, else a typical figure."""
        return self._paces.get(info.id, DEFAULT_MS_PER_UNIT.get(info.language, 220.0))

    def stream(
        self, text: str, voice_id: str, options: SynthesisOptions | None = None
    ) -> Iterator[AudioChunk]:
        return self.run(self.prepare(text, voice_id, options))

    def synthesize(self, text: str, voice_id: str, options: SynthesisOptions | None = None) -> Synthesis:
        plan = self.prepare(text, voice_id, options)
        chunks = list(self.run(plan))
        samples = np.concatenate([c.samples for c in chunks]) if chunks else np.zeros(0, np.float32)
        timings = [c.sentence for c in chunks if c.final]
        return Synthesis(samples, plan.sample_rate, timings)

    def prepare_encoded(
        self, text: str, voice_id: str, fmt: str, options: SynthesisOptions | None = None
    ) -> Plan:
        """Like :meth:`prepare`, at a sample rate the encoder for ``fmt`` accepts."""
        options = options or SynthesisOptions()
        info = self.registry.info(voice_id)
        rate = output_rate(fmt, options.sample_rate, info.sample_rate)
        return self.prepare(text, voice_id, replace(options, sample_rate=rate))

    def encode_plan(
        self, plan: Plan, fmt: str, on_chunk: Callable[[AudioChunk], None] | None = None
    ) -> Iterator[bytes]:
        """Synthesize and encode incrementally: bytes leave as each piece is done."""
        encoder = open_encoder(fmt, plan.sample_rate)
        for chunk in self.run(plan):
            data = encoder.encode(chunk.samples)
            if on_chunk is not None:
                on_chunk(chunk)
            if data:
                yield data
        tail = encoder.finish()
        if tail:
            yield tail


def _fitted(fit: Fitter | None, index: int) -> dict[str, object]:
    """What duration fitting did to a plan's piece ``index``, for AudioChunk.extra."""
    return {"fit": fit.reports[index].as_dict()} if fit else {}


class EngineVoice(Voice):
    """A voice of an engine, as the small ``Voice`` interface."""

    def __init__(self, engine: Engine, info: VoiceInfo) -> None:
        self.engine = engine
        self.info = info

    def stream(self, text: str, options: SynthesisOptions | None = None) -> Iterator[AudioChunk]:
        return self.engine.stream(text, self.info.id, options)
