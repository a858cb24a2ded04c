"""Errors raised by the engine. Each carries a message meant for the person who sent the input."""

from __future__ import annotations


class TTSError(Exception):
    """Base class: input or configuration the engine cannot turn into speech."""

    code = "tts_error"


class EmptyTextError(TTSError):
    """The text holds nothing that can be spoken (empty, only punctuation, only emoji)."""

    code = "empty_text"


class TextTooLongError(TTSError):
    code = "text_too_long"

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"text is {length} characters long; the limit is {limit}")
        self.length = length
        self.limit = limit


class UnknownVoiceError(TTSError):
    code = "unknown_voice"

    def __init__(self, voice_id: str, known: list[str]) -> None:
        super().__init__(f"unknown voice {voice_id!r}; known voices: {', '.join(sorted(known))}")
        self.voice_id = voice_id


class UnsupportedLanguageError(TTSError):
    code = "unsupported_language"


class SSMLError(TTSError):
    """Invalid SSML; the message names the line and the tag."""

    code = "invalid_ssml"

    def __init__(self, message: str, line: int | None = None, tag: str | None = None) -> None:
        where = []
        if line is not None:
            where.append(f"line {line}")
        if tag is not None:
            where.append(f"<{tag}>")
        super().__init__(
            f"invalid SSML ({', '.join(where)}): {message}" if where else f"invalid SSML: {message}"
        )
        self.line = line
        self.tag = tag


class InvalidOptionError(TTSError):
    """A request option out of range or unknown; ``field`` names it ("style", "duration_s") when known."""

    code = "invalid_option"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class VoiceUnavailableError(TTSError):
    """A voice is known but cannot load here (missing package, weights or platform); says what is missing."""

    code = "voice_unavailable"


class SynthesisCancelled(TTSError):
    code = "cancelled"


class TextRefusedError(TTSError):
    """The text policy refused the text (a deny-list term, a moderation check); nothing was spoken.
    ``rule`` names the rule that refused it."""

    code = "text_refused"

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(f"text refused by policy rule {rule!r}: {reason}")
        self.rule = rule
        self.reason = reason


class VoiceMixError(UnknownVoiceError):
    """A voice mix that cannot be made (malformed, a weight not above 0, an unknown voice in it,
    voices of models that do not mix); answered like an unknown voice, naming the voice field."""

    code = "invalid_voice_mix"

    def __init__(self, expression: str, problem: str) -> None:
        TTSError.__init__(self, f"voice mix {expression!r}: {problem}")
        self.voice_id = expression
