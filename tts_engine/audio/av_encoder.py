"""MP3, Ogg Opus, FLAC and ADTS AAC encoders on PyAV (FFmpeg).

Each encoder muxes into a write-only sink: the bytes a call returns are whole
container pages or frames, so a client can decode a prefix of the stream.
PyAV re-chunks input to the codec's frame size and passes the short last frame
through; all four codecs accept it and record the padding where the container
can carry it (Opus in the Ogg end granule, FLAC natively).

The sink tells FFmpeg it cannot seek, so muxers never try to rewrite bytes
already sent: MP3 gets no Xing/LAME header (players decode LAME's ~1100-sample
priming as leading silence) and FLAC's STREAMINFO keeps "length unknown" unless
``total_samples`` lets us fill it in before the header leaves. ``seekable=True``
(for whole files) lets the muxers rewrite their headers instead: MP3 gains the
gapless Xing/LAME header, FLAC its length and MD5. ADTS has no place for
AAC's 1024-sample priming at all, so AAC always plays up to two frames long.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np
from av.audio.stream import AudioStream
from av.packet import Packet

from tts_engine.audio.encoder import StreamEncoder, to_pcm16
from tts_engine.errors import InvalidOptionError

# Ogg pages close after this much audio. A page per 20 ms packet would add ~35%
# in page headers at 32 kb/s; FFmpeg's default, a page a second, would hold
# audio back a second.
_OGG_PAGE_US = 100_000


@dataclass(frozen=True)
class _Spec:
    container: str
    codec: str
    sample_format: str  # what the codec takes; planar and packed are the same for mono
    default_bitrate: Callable[[int], int] | None
    container_options: dict[str, str] = field(default_factory=dict)


_SPECS: dict[str, _Spec] = {
    # No ID3 tag: a bare frame stream is what HTTP streaming players expect.
    "mp3": _Spec(
        "mp3", "libmp3lame", "fltp", lambda rate: 32_000 if rate <= 16_000 else 64_000, {"id3v2_version": "0"}
    ),
    "opus": _Spec("ogg", "libopus", "flt", lambda rate: 32_000, {"page_duration": str(_OGG_PAGE_US)}),
    # The default 8 KiB padding block only helps in-place tag editing.
    "flac": _Spec("flac", "flac", "s16", None, {"metadata_header_padding": "0"}),
    "aac": _Spec("adts", "aac", "fltp", lambda rate: 64_000),
}
AV_FORMATS = tuple(_SPECS)


class _Sink:
    """Write-only, non-seekable file object that collects what the muxer writes."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def write(self, data: bytes) -> int:
        self._buf += data
        return len(data)

    def seekable(self) -> bool:
        return False

    def take(self) -> bytes:
        data = bytes(self._buf)
        self._buf.clear()
        return data


class AvEncoder(StreamEncoder):
    """One of ``AV_FORMATS`` at a sample rate the codec supports (see ``codecs.output_rate``)."""

    def __init__(
        self,
        fmt: str,
        sample_rate: int,
        *,
        bitrate: int | None = None,
        total_samples: int | None = None,
        seekable: bool = False,
    ) -> None:
        super().__init__(fmt, sample_rate, total_samples)
        if fmt == "flac" and total_samples is not None and total_samples >= 1 << 36:
            raise InvalidOptionError(f"{total_samples} samples do not fit a FLAC header")
        spec = _SPECS[fmt]
        self._spec = spec
        self._file: _Sink | io.BytesIO = io.BytesIO() if seekable else _Sink()
        self._flac_total = total_samples if fmt == "flac" and not seekable else None
        self._time_base = Fraction(1, sample_rate)
        self._pts = 0
        # flush_packets: hand each muxed packet to the sink at once, not when
        # PyAV's 32 KiB I/O buffer fills.
        self._container = av.open(
            self._file, "w", format=spec.container,
            container_options={"flush_packets": "1", **spec.container_options},
        )  # fmt: skip
        try:
            stream = self._container.add_stream(spec.codec, rate=sample_rate, layout="mono")
            assert isinstance(stream, AudioStream)
            stream.format = spec.sample_format
            if spec.default_bitrate is not None:
                stream.bit_rate = bitrate or spec.default_bitrate(sample_rate)
            # Opens the codec now, so bad settings fail here and not mid-stream.
            self._container.start_encoding()
        except (av.FFmpegError, ValueError) as exc:
            self._container.close()
            raise InvalidOptionError(f"cannot encode {fmt} at {sample_rate} Hz: {exc}") from exc
        self._stream = stream

    def _encode(self, samples: np.ndarray) -> bytes:
        if len(samples):
            data = to_pcm16(samples) if self._spec.sample_format == "s16" else samples
            frame = av.AudioFrame.from_ndarray(
                data[np.newaxis, :], format=self._spec.sample_format, layout="mono"
            )
            frame.sample_rate = self.sample_rate
            frame.time_base = self._time_base
            frame.pts = self._pts
            self._pts += len(samples)
            self._mux(self._stream.encode(frame))
        return self._take()

    def _finish(self) -> bytes:
        self._mux(self._stream.encode(None))
        self._container.close()
        if isinstance(self._file, io.BytesIO):
            return self._file.getvalue()
        return self._take()

    def _mux(self, packets: Iterable[Packet]) -> None:
        for packet in packets:
            self._container.mux_one(packet)

    def _take(self) -> bytes:
        if isinstance(self._file, io.BytesIO):
            return b""  # a seekable file goes out whole from finish()
        data = self._file.take()
        if self._flac_total is not None and data:
            data = with_flac_total(data, self._flac_total)
            self._flac_total = None
        return data


def with_flac_total(header: bytes, total: int) -> bytes:
    """Write the 36-bit total-samples field of the STREAMINFO at the start of a FLAC stream."""
    if header[:4] != b"fLaC" or len(header) < 26:
        raise RuntimeError("FLAC stream does not start with its STREAMINFO block")
    out = bytearray(header)
    # File bytes 21..25: the low nibble of 21 holds the top 4 bits, 22..25 the low 32.
    out[21] = (out[21] & 0xF0) | (total >> 32)
    out[22:26] = (total & 0xFFFFFFFF).to_bytes(4, "big")
    return bytes(out)
