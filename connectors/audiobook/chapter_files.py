"""Chapter files and the chaptered book, on PyAV.

Each chapter is encoded once, to its own file (MP3, or AAC in MP4 as ``.m4a``). The book is then
joined from those files without re-encoding: their packets are copied into one container, and
FFmpeg writes the chapter markers itself from ``set_chapters`` (ID3v2 CHAP/CTOC frames in MP3, a
chapter track in M4B), so neither mutagen nor the ``ffmpeg`` command is needed. Joining costs a
read of the files, so a resumed book is rebuilt from the chapters kept on disk.

Each chapter brings its encoder delay (priming) and end padding into the book, where no decoder
trims them: packets are laid back to back by the audio they decode to, whole frames, and the
captions are shifted by the same count plus the chapter's priming (``Span``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer

# format -> (muxer, encoder, chapter file suffix, book suffix)
FORMATS: dict[str, tuple[str, str, str, str]] = {
    "mp3": ("mp3", "libmp3lame", ".mp3", ".mp3"),
    "m4b": ("ipod", "aac", ".m4a", ".m4b"),
}
# The MP4 index goes first, so players (and pipes) can start before the whole file has arrived.
MUXER_OPTIONS = {"ipod": {"movflags": "+faststart"}}
CODEC_FORMAT = {"mp3": "mp3", "m4b": "aac"}  # the engine's name for the codec (sample rates it takes)


class AudioWriter:
    """Mono float32 samples into one audio file, encoded as they come."""

    def __init__(
        self, path: Path, fmt: str, sample_rate: int, bitrate: int, metadata: dict[str, str]
    ) -> None:
        muxer, codec, _, _ = FORMATS[fmt]
        self.sample_rate = sample_rate
        self.samples = 0
        self._container = av.open(str(path), "w", format=muxer, options=MUXER_OPTIONS.get(muxer))
        for key, value in metadata.items():
            self._container.metadata[key] = value
        stream = self._container.add_stream(codec, rate=sample_rate, layout="mono")
        assert isinstance(stream, AudioStream)
        stream.bit_rate = bitrate
        self._stream = stream

    def write(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        x = np.ascontiguousarray(np.clip(samples, -1.0, 1.0), dtype=np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(x, format="flt", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self.samples
        frame.time_base = Fraction(1, self.sample_rate)
        self.samples += x.shape[1]
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def abort(self) -> None:
        self._container.close()


@dataclass(frozen=True)
class Span:
    """Where a chapter file's audio sits in the joined book, in samples; ``lead`` is its encoder
    priming (audio before the chapter's first sample)."""

    start: int
    end: int
    lead: int


def join(
    files: list[Path], titles: list[str], out: Path, fmt: str, sample_rate: int, metadata: dict[str, str]
) -> list[Span]:
    """Copy the chapter files' packets into ``out`` with a chapter marker per file."""
    muxer = FORMATS[fmt][0]
    tb = Fraction(1, sample_rate)
    spans: list[Span] = []
    offset = 0
    for path in files:  # first pass: where each file's packets will land
        with av.open(str(path)) as src:
            stream = src.streams.audio[0]
            first, frames = _extent(src, stream, tb)
            unit = _time_base(stream)
            length = sum(frames)
            spans.append(Span(offset, offset + length, max(0, round(-first * unit / tb))))
            offset += length
    with av.open(str(out), "w", format=muxer, options=MUXER_OPTIONS.get(muxer)) as dst:
        for key, value in metadata.items():
            dst.metadata[key] = value
        target = None
        for path, span in zip(files, spans, strict=True):
            with av.open(str(path)) as src:
                stream = src.streams.audio[0]
                if target is None:
                    target = dst.add_stream_from_template(stream)
                    # Markers go in before the first packet: the MP3 muxer writes its ID3 tag then.
                    dst.set_chapters(
                        [
                            {
                                "id": i + 1,
                                "start": s.start,
                                "end": s.end,
                                "time_base": tb,
                                "metadata": {"title": t},
                            }
                            for i, (s, t) in enumerate(zip(spans, titles, strict=True))
                        ]
                    )
                pts = span.start
                for packet in src.demux(stream):
                    if packet.pts is None:
                        continue
                    # Back to back, each packet as long as the audio it decodes to: a chapter's
                    # last packet is marked short (its padding), yet decodes whole.
                    samples = _samples(packet, stream, tb)
                    packet.stream = target
                    packet.time_base = tb
                    packet.pts = packet.dts = pts
                    packet.duration = samples
                    dst.mux(packet)
                    pts += samples
    return spans


def _time_base(stream: AudioStream) -> Fraction:
    return stream.time_base or Fraction(1, stream.codec_context.sample_rate)


def _samples(packet: av.Packet, stream: AudioStream, tb: Fraction) -> int:
    """Samples (at ``tb``) a packet decodes to: a whole codec frame (AAC 1024, MP3 576 or 1152),
    even for the last one, whose duration the container shortens to hide the encoder's padding."""
    marked = round((packet.duration or 0) * _time_base(stream) / tb)
    frame = round(stream.codec_context.frame_size * Fraction(1, stream.codec_context.sample_rate) / tb)
    return max(marked, frame)


def _extent(container: InputContainer, stream: AudioStream, tb: Fraction) -> tuple[int, list[int]]:
    """The first packet's pts and what each packet decodes to, at ``tb``."""
    first: int | None = None
    frames = []
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        first = packet.pts if first is None else first
        frames.append(_samples(packet, stream, tb))
    return first or 0, frames
