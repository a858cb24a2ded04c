"""The SSML subset Voxflow speaks, parsed with expat so every error can name its line.

Supported: <speak> (root), <break>, <prosody rate pitch range volume>, <say-as>,
<phoneme alphabet="pinyin">, <sub>, <p>, <s>, <lang> and Azure's <mstts:express-as style
styledegree>. Anything else raises SSMLError with the line and the tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from tts_engine.errors import InvalidOptionError, SSMLError
from tts_engine.prosody.targets import Targets
from tts_engine.prosody.tone import Tone
from tts_engine.text import ssml_prosody
from tts_engine.text.atoms import Atom, Mark, SayAs, Stream, char_atoms, from_text
from tts_engine.text.chars import ascii_digits
from tts_engine.text.pinyin import parse_syllables, spread

_ATTRIBUTES = {
    "speak": {"xml:lang", "version", "xml:base"},
    "break": {"time", "strength"},
    "prosody": {"rate", "pitch", "range", "volume"},
    "say-as": {"interpret-as", "format"},
    "phoneme": {"alphabet", "ph"},
    "sub": {"alias"},
    "p": {"xml:lang"},
    "s": {"xml:lang"},
    "lang": {"xml:lang"},
    "mstts:express-as": {"style", "styledegree"},
}
_REQUIRED = {
    "say-as": ("interpret-as",),
    "phoneme": ("alphabet", "ph"),
    "sub": ("alias",),
    "lang": ("xml:lang",),
    "mstts:express-as": ("style",),
}
_TEXT_ONLY = frozenset({"say-as", "phoneme", "sub"})
_STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 200, "medium": 350, "strong": 600, "x-strong": 1000}
_RATE_WORDS = {"x-slow": 0.5, "slow": 0.8, "medium": 1.0, "fast": 1.25, "x-fast": 1.6}
_MIN_RATE, _MAX_RATE = 0.5, 2.0
_MAX_BREAK_MS = 10_000
_INTERPRET = frozenset({"characters", "spell-out", "digits", "date", "telephone", "cardinal", "ordinal"})
_DATE_FORMATS = frozenset({"ymd", "mdy", "dmy", "ym", "md", "dm", "y"})
_CARDINAL = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_ORDINAL = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)?")
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


@dataclass
class _Frame:
    tag: str
    line: int
    rate: float
    hint: str | None
    attrs: dict[str, str]
    tone: Tone | None = None
    text: list[str] = field(default_factory=list)


@dataclass
class SSMLDocument:
    stream: Stream
    lang: str | None  # primary subtag of <speak xml:lang>, lower case


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


class _Parser:
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.stream: Stream = []
        self.lang: str | None = None
        self.seen_root = False
        self.p = expat.ParserCreate()
        self.p.buffer_text = True
        self.p.StartElementHandler = self.start
        self.p.EndElementHandler = self.end
        self.p.CharacterDataHandler = self.data
        self.p.StartDoctypeDeclHandler = self.doctype
        self.p.EntityDeclHandler = self.doctype

    def error(self, message: str, tag: str | None = None, line: int | None = None) -> SSMLError:
        if tag is None and self.stack:
            tag = self.stack[-1].tag
        return SSMLError(message, line=line or self.p.CurrentLineNumber, tag=tag)

    def doctype(self, *_: object) -> None:
        raise self.error("DOCTYPE and entity declarations are not allowed")

    def parse(self, text: str) -> SSMLDocument:
        try:
            self.p.Parse(text, True)
        except expat.ExpatError as e:
            raise SSMLError(
                f"malformed XML: {expat.ErrorString(e.code)}",
                line=e.lineno,
                tag=self.stack[-1].tag if self.stack else None,
            ) from None
        return SSMLDocument(self.stream, self.lang)

    def _check_attrs(self, tag: str, attrs: dict[str, str]) -> None:
        for name in attrs:
            if name not in _ATTRIBUTES[tag] and not (tag == "speak" and name.startswith("xmlns")):
                allowed = ", ".join(sorted(_ATTRIBUTES[tag])) or "none"
                raise self.error(f"unsupported attribute {name!r} (allowed: {allowed})", tag)
        for name in _REQUIRED.get(tag, ()):
            if not attrs.get(name, "").strip():
                raise self.error(f"missing required attribute {name!r}", tag)

    def _hint(self, tag: str, attrs: dict[str, str], inherited: str | None) -> str | None:
        value = attrs.get("xml:lang")
        if value is None:
            return inherited
        if not _LANG_TAG.fullmatch(value):
            raise self.error(f"invalid xml:lang {value!r}; use a language tag such as 'en' or 'zh-CN'", tag)
        return value.split("-")[0].lower()

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if not self.stack:
            if tag != "speak" or self.seen_root:
                raise self.error("the root element must be <speak>", tag)
            self.seen_root = True
        elif tag == "speak":
            raise self.error("<speak> cannot be nested", tag)
        elif self.stack[-1].tag in _TEXT_ONLY or self.stack[-1].tag == "break":
            raise self.error(f"<{self.stack[-1].tag}> may contain only text, not <{tag}>", tag)
        if tag not in _ATTRIBUTES:
            supported = ", ".join(f"<{t}>" for t in _ATTRIBUTES)
            raise self.error(f"unsupported element (supported: {supported})", tag)
        self._check_attrs(tag, attrs)
        parent = self.stack[-1] if self.stack else None
        rate = parent.rate if parent else 1.0
        if tag == "prosody" and "rate" in attrs:
            rate = min(_MAX_RATE, max(_MIN_RATE, rate * self._rate(attrs["rate"], tag)))
        hint = self._hint(tag, attrs, parent.hint if parent else None)
        if tag == "speak":
            self.lang = hint
        tone = self._tone(tag, attrs, parent.tone if parent else None)
        self.stack.append(_Frame(tag, self.p.CurrentLineNumber, rate, hint, attrs, tone=tone))
        if tag == "break":
            self.stream.append(Mark("break", self._break_ms(attrs)))
        elif tag in ("p", "s"):
            self.stream.append(Mark("sentence"))
        elif tag == "say-as":
            self._check_say_as(attrs)
        elif tag == "phoneme" and attrs["alphabet"] != "pinyin":
            raise self.error(
                f"unsupported phoneme alphabet {attrs['alphabet']!r}; only 'pinyin' is supported"
            )

    def _rate(self, value: str, tag: str) -> float:
        v = value.strip()
        if v in _RATE_WORDS:
            return _RATE_WORDS[v]
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(%?)", v)
        rate = (float(m.group(1)) / (100 if m.group(2) else 1)) if m else 0.0
        if rate <= 0:
            words = "|".join(_RATE_WORDS)
            raise self.error(
                f"invalid rate {value!r}; use {words}, a percentage such as '80%' or a factor such as '1.2'",
                tag,
            )
        return rate

    def _tone(self, tag: str, attrs: dict[str, str], inherited: Tone | None) -> Tone | None:
        """The tone inside ``tag``: express-as sets a style, prosody moves pitch, range and volume."""
        try:
            if tag == "mstts:express-as":
                degree = ssml_prosody.intensity(attrs.get("styledegree", "1"))
                own = Tone(style=attrs["style"].strip(), intensity=degree)
            elif tag == "prosody" and {"pitch", "range", "volume"} & attrs.keys():
                own = Tone(
                    adjust=Targets(
                        pitch_st=ssml_prosody.pitch_st(attrs.get("pitch", "default")),
                        range=ssml_prosody.range_factor(attrs.get("range", "default")),
                        gain_db=ssml_prosody.volume_db(attrs.get("volume", "default")),
                    )
                )
            else:
                return inherited
        except (ValueError, InvalidOptionError) as e:
            raise self.error(str(e), tag) from None
        return inherited.within(own) if inherited else own

    def _break_ms(self, attrs: dict[str, str]) -> int:
        if "time" in attrs:
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", attrs["time"])
            if not m:
                raise self.error(f"invalid time {attrs['time']!r}; use e.g. '500ms' or '1.5s'")
            ms = float(m.group(1)) * (1 if m.group(2) == "ms" else 1000)
            # Checked before rounding: a few hundred digits make the float infinite, which round() refuses.
            if ms > _MAX_BREAK_MS:
                raise self.error(f"break time {attrs['time']!r} is longer than {_MAX_BREAK_MS // 1000}s")
            return round(ms)
        strength = attrs.get("strength", "medium")
        if strength not in _STRENGTH_MS:
            raise self.error(f"invalid strength {strength!r}; use one of {', '.join(_STRENGTH_MS)}")
        return _STRENGTH_MS[strength]

    def _check_say_as(self, attrs: dict[str, str]) -> None:
        kind = attrs["interpret-as"]
        if kind not in _INTERPRET:
            raise self.error(f"unsupported interpret-as {kind!r}; use one of {', '.join(sorted(_INTERPRET))}")
        fmt = attrs.get("format")
        if fmt is not None and (kind != "date" or fmt not in _DATE_FORMATS):
            raise self.error(
                f"invalid format {fmt!r}; format applies to dates: {', '.join(sorted(_DATE_FORMATS))}"
            )

    def data(self, text: str) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is None:
            return  # whitespace around the root; expat rejects anything else
        if frame.tag in _TEXT_ONLY:
            frame.text.append(text)
        elif frame.tag == "break":
            if text.strip():
                raise self.error("<break> must be empty")
        else:
            try:
                self.stream.extend(from_text(_collapse(text), frame.rate, frame.hint, frame.tone))
            except InvalidOptionError as e:
                raise self.error(str(e)) from None

    def end(self, tag: str) -> None:
        frame = self.stack.pop()
        content = _collapse("".join(frame.text)).strip()
        if tag in _TEXT_ONLY and not content:
            raise self.error(f"<{tag}> is empty", tag, frame.line)
        if tag == "say-as":
            self._say_as(frame, content)
        elif tag == "sub":
            alias = "".join(a.text for a in char_atoms(_collapse(frame.attrs["alias"]).strip()))
            self.stream.append(Atom(alias, content, frame.rate, frame.hint, fixed=True, tone=frame.tone))
        elif tag == "phoneme":
            try:
                pinyin = spread(content, parse_syllables(frame.attrs["ph"]))
            except InvalidOptionError as e:
                raise self.error(str(e), tag, frame.line) from None
            self.stream.append(
                Atom(content, content, frame.rate, frame.hint, pinyin=pinyin, fixed=True, tone=frame.tone)
            )
        elif tag == "s":
            self.stream.append(Mark("sentence"))
        elif tag == "p":
            self.stream.append(Mark("paragraph"))

    def _say_as(self, frame: _Frame, written: str) -> None:
        kind, fmt = frame.attrs["interpret-as"], frame.attrs.get("format")
        content = ascii_digits(written)  # the number readers take ASCII digits only
        bad = None
        if kind == "cardinal" and not _CARDINAL.fullmatch(content):
            bad = "a number such as '1,280' or '-3.5'"
        elif kind == "ordinal" and not _ORDINAL.fullmatch(content):
            bad = "a whole number such as '3' or '21st'"
        elif kind in ("digits", "telephone") and not re.search(r"\d", content):
            bad = "digits"
        elif kind == "date" and not _valid_date(content, fmt or "ymd"):
            bad = f"a date in {fmt or 'ymd'} order such as '2026-11-21'"
        if bad:
            raise self.error(f"say-as {kind} content {written!r} is not {bad}", "say-as", frame.line)
        self.stream.append(
            Atom(
                content, written, frame.rate, frame.hint, fixed=True, say_as=SayAs(kind, fmt), tone=frame.tone
            )
        )


def _valid_date(text: str, fmt: str) -> bool:
    parts = re.findall(r"\d+", text)
    if len(parts) != len(fmt) or re.sub(r"[\d\s./-]", "", text):
        return False
    values = dict(zip(fmt, (int(p) for p in parts), strict=True))
    return 1 <= values.get("m", 1) <= 12 and 1 <= values.get("d", 1) <= 31


def parse(text: str) -> SSMLDocument:
    """The SSML document as an atom stream; raises SSMLError naming the line and the tag."""
    return _Parser().parse(text)
