"""The ``dub`` job kind: subtitles sent in the request, the dubbed track as the artifact.

``{"kind": "dub", "format": "mp3", "voice": null, "args": {"subtitles": "1\\n00:00:01,000 --> ...",
"subtitle_format": "srt", "speakers": {"Alice": "zh-kokoro-kumo"}, "style": "calm",
"intensity": 0.8}}``: a malformed file, a cue with an unknown style or a bad argument is refused
with 422 naming it, as is a cue far too long for its time by its syllables; a cue that proves too
long when spoken fails the job with a message naming the cue. The
report and captions of a finished job are kept in ``<data_dir>/dubbing/`` and shown by
``GET /v1/jobs/{id}`` under ``dub``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integrator.config import Settings
from integrator.jobs.job import Job, JobSpec
from integrator.jobs.kinds import InvalidKindArgs, JobKind, KindResult, KindRun
from tts_engine.errors import InvalidOptionError, TTSError
from tts_engine.prosody.expression import Expression
from tts_engine.prosody.styles import StyleBook

from . import captions, markup
from .config import dubbing_of
from .dubber import DubOptions
from .run import dub
from .subtitles import FORMATS, Cue, Format, SubtitleError, parse
from .timing import check_estimate, estimate_ms, slots

KIND = "dub"
ARGS = frozenset({"subtitles", "subtitle_format", "speakers", "style", "intensity"})
MAX_SUBTITLE_CHARS = 1_000_000


def read_args(settings: Settings, spec: JobSpec) -> tuple[list[Cue], DubOptions]:
    """The cues and options of a dub job, checked; InvalidKindArgs naming the argument (and cue)."""
    args = spec.args
    unknown = sorted(set(args) - ARGS)
    if unknown:
        raise InvalidKindArgs(
            f"args.{unknown[0]}", f"unknown argument {unknown[0]!r}; known: {', '.join(sorted(ARGS))}"
        )
    text = args.get("subtitles")
    if not isinstance(text, str) or not text.strip():
        raise InvalidKindArgs("args.subtitles", "args.subtitles must be the text of an SRT or WebVTT file")
    if len(text) > MAX_SUBTITLE_CHARS:
        raise InvalidKindArgs("args.subtitles", f"subtitles are limited to {MAX_SUBTITLE_CHARS} characters")
    fmt = args.get("subtitle_format")
    if fmt is not None and fmt not in FORMATS:
        raise InvalidKindArgs("args.subtitle_format", f"subtitle_format must be srt or vtt, not {fmt!r}")
    speakers = args.get("speakers", {})
    if not isinstance(speakers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in speakers.items()
    ):
        raise InvalidKindArgs("args.speakers", "args.speakers must map speaker labels to voice ids")
    style, intensity = args.get("style", "neutral"), args.get("intensity", 1.0)
    if not isinstance(style, str):
        raise InvalidKindArgs("args.style", "args.style must be a style name")
    if isinstance(intensity, bool) or not isinstance(intensity, int | float):
        raise InvalidKindArgs("args.intensity", "args.intensity must be a number from 0 to 1")
    book = StyleBook.from_settings(settings.engine.styles)
    try:
        Expression(style, float(intensity)).check(book)
    except InvalidOptionError as exc:
        raise InvalidKindArgs(f"args.{exc.field or 'style'}", str(exc)) from None
    cfg = dubbing_of(settings)
    options = DubOptions(
        voice=spec.voice, style=style, intensity=float(intensity),
        speakers={**cfg.speakers, **speakers}, rules=cfg, sample_rate=spec.sample_rate,
    )  # fmt: skip
    try:
        cues = parse(text, _format(fmt))
        # styles and hopeless lengths are known without an engine: such a cue is refused now
        for cue, slot in zip(cues, slots(cues), strict=True):
            line = markup.read(cue, options.speakers)
            if line.style is not None:
                try:
                    book.get(line.style)
                except TTSError as exc:
                    raise SubtitleError(f"{cue.label}: {exc}") from None
            check_estimate(cue, slot, estimate_ms(line.text), cfg)
    except SubtitleError as exc:
        raise InvalidKindArgs("args.subtitles", str(exc)) from None
    return cues, options


def _format(value: object) -> Format | None:
    return "vtt" if value == "vtt" else "srt" if value == "srt" else None


class DubKind(JobKind):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _kept(self, job_id: str) -> Path:
        return self.settings.data_dir / "dubbing" / job_id

    def check(self, spec: JobSpec) -> None:
        read_args(self.settings, spec)

    def run(self, ctx: KindRun) -> KindResult:
        spec = ctx.job.spec
        _, options = read_args(self.settings, spec)
        text: str = spec.args["subtitles"]

        def progress(done: int, total: int) -> None:
            ctx.report(done / max(1, total), len(text))

        out = ctx.workdir / f"dub.{spec.format}"
        result = dub(
            ctx.engine, text, options, out, spec.format,
            subtitle_format=_format(spec.args.get("subtitle_format")), cancel=ctx.cancel, on_cue=progress,
        )  # fmt: skip
        kept = self._kept(ctx.job.id)
        kept.mkdir(parents=True, exist_ok=True)
        report = result.report(options.rules.report_over)
        (kept / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        captions.write(result.placed, kept / "captions.srt")
        captions.write(result.placed, kept / "captions.vtt")
        return KindResult(out, spec.format, result.sample_rate, result.duration_ms)

    def describe(self, job: Job) -> dict[str, Any] | None:
        kept = self._kept(job.id)
        if not (kept / "report.json").is_file():
            return None
        detail: dict[str, Any] = json.loads((kept / "report.json").read_text(encoding="utf-8"))
        detail["captions"] = {
            "srt": (kept / "captions.srt").read_text(encoding="utf-8"),
            "vtt": (kept / "captions.vtt").read_text(encoding="utf-8"),
        }
        return detail
