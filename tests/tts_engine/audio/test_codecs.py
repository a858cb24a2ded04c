"""Streaming encoders, checked through real decoders: ffprobe/ffmpeg subprocesses and soundfile."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tts_engine.audio import FORMATS, MEDIA_TYPES, StreamEncoder, encode_all, open_encoder, output_rate
from tts_engine.errors import InvalidOptionError

TONE_HZ = 440.0
CHUNK_MS = 37
CODEC_NAMES = {
    "pcm": "pcm_s16le",
    "wav": "pcm_s16le",
    "mp3": "mp3",
    "opus": "opus",
    "flac": "flac",
    "aac": "aac",
}
SUFFIX = {"pcm": "pcm", "wav": "wav", "mp3": "mp3", "opus": "ogg", "flac": "flac", "aac": "aac"}
# Ogg Opus always decodes at 48 kHz whatever rate went in.
OPUS_DECODE_RATE = 48_000


def make_signal(rate: int, seconds: float) -> np.ndarray:
    """A 440 Hz tone with a speech-like burst: low-passed noise under a 4 Hz syllable envelope."""
    n = round(rate * seconds)
    t = np.arange(n) / rate
    rng = np.random.default_rng(1234)
    noise = np.convolve(rng.standard_normal(n), np.ones(6) / 6, mode="same")
    burst = (t > 0.2) & (t < 0.7)
    envelope = np.where(burst, np.sin(2 * np.pi * 4.0 * (t - 0.2)) ** 2, 0.0)
    return (0.3 * np.sin(2 * np.pi * TONE_HZ * t) + 0.25 * envelope * noise).astype(np.float32)


def stream(encoder: StreamEncoder, x: np.ndarray, chunk_ms: int = CHUNK_MS) -> list[bytes]:
    """Every encode() result in order, then finish()'s."""
    step = max(1, encoder.sample_rate * chunk_ms // 1000)
    parts = [encoder.encode(x[i : i + step]) for i in range(0, len(x), step)]
    return [*parts, encoder.finish()]


def raw_args(fmt: str, rate: int) -> list[str]:
    return ["-f", "s16le", "-ar", str(rate), "-ac", "1"] if fmt == "pcm" else []


def ffprobe(path: Path, fmt: str, rate: int) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *raw_args(fmt, rate), "-show_entries",
         "stream=codec_name,sample_rate,channels,bit_rate:format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def ffmpeg_decode(path: Path, fmt: str, rate: int) -> tuple[np.ndarray, str]:
    """Samples as ffmpeg decodes them (native rate), and what ffmpeg said about errors."""
    proc = subprocess.run(
        ["ffmpeg", "-v", "error", *raw_args(fmt, rate), "-i", str(path), "-f", "f32le", "-ac", "1", "-"],
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return np.frombuffer(proc.stdout, np.float32), proc.stderr.decode()


def decode(path: Path, fmt: str, rate: int) -> tuple[np.ndarray, int]:
    """soundfile for WAV, Ogg Opus and FLAC that states its length; ffmpeg otherwise.

    libsndfile cannot read a FLAC whose STREAMINFO says "length unknown"
    (libsndfile issue #1038), which every streamed FLAC without
    ``total_samples`` is; ffmpeg and the reference ``flac`` decoder can.
    """
    if fmt in ("wav", "opus") or (fmt == "flac" and not flac_length_unknown(path)):
        data, sr = sf.read(str(path), dtype="float32")
        return data, sr
    samples, _ = ffmpeg_decode(path, fmt, rate)
    return samples, rate


def flac_length_unknown(path: Path) -> bool:
    data = path.read_bytes()
    return data[21] & 0x0F == 0 and data[22:26] == bytes(4)


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=8 * len(x)))
    return float(np.fft.rfftfreq(8 * len(x), 1 / rate)[np.argmax(spectrum)])


def extra_samples(fmt: str, rate: int) -> int:
    """How much longer than the input a decoder may play a streamed ``fmt`` (priming + last-frame padding).

    MP3 and ADTS streams cannot tell a decoder to drop the encoder's priming:
    LAME's 1105 samples (576 + 529 decoder delay), AAC's 1024. The Ogg granule
    and FLAC frames carry exact lengths.
    """
    if fmt == "mp3":
        return 1105 + (576 if rate <= 24_000 else 1152)
    if fmt == "aac":
        return 2 * 1024
    return 0


def write(tmp_path: Path, fmt: str, data: bytes, name: str = "out") -> Path:
    path = tmp_path / f"{name}.{SUFFIX[fmt]}"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("seconds", [1.0, 2.37])
@pytest.mark.parametrize("source_rate", [16_000, 22_050, 24_000])
@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_output_decodes_to_the_input(
    tmp_path: Path, fmt: str, source_rate: int, seconds: float
) -> None:
    rate = output_rate(fmt, None, source_rate)
    x = make_signal(rate, seconds)
    encoder = open_encoder(fmt, rate)
    assert (encoder.format, encoder.sample_rate, encoder.media_type) == (fmt, rate, MEDIA_TYPES[fmt])
    path = write(tmp_path, fmt, b"".join(stream(encoder, x)))

    info = ffprobe(path, fmt, rate)
    (st,) = info["streams"]
    assert st["codec_name"] == CODEC_NAMES[fmt]
    assert st["channels"] == 1
    assert int(st["sample_rate"]) == (OPUS_DECODE_RATE if fmt == "opus" else rate)

    expected = len(x) / rate
    if fmt == "flac":
        # A streamed FLAC header cannot know the length; decoding below checks it.
        assert "duration" not in info["format"]
    else:
        duration = float(info["format"]["duration"])
        # ffprobe counts Opus pre-skip (6.5 ms) in; allow one 20 ms frame.
        slack = {"opus": 0.02, "aac": 0.03}.get(fmt, 0.001)
        assert expected - slack <= duration <= expected + extra_samples(fmt, rate) / rate + slack

    y, decoded_rate = decode(path, fmt, rate)
    expected_len = len(x) * decoded_rate // rate
    assert expected_len <= len(y) <= expected_len + extra_samples(fmt, rate) * decoded_rate // rate
    assert peak_hz(y, decoded_rate) == pytest.approx(TONE_HZ, abs=5.0)
    # Energy (not mean power) so priming silence does not count against the codec.
    energy_ratio = np.sqrt(np.sum(np.square(y, dtype=np.float64)) / np.sum(np.square(x, dtype=np.float64)))
    assert energy_ratio == pytest.approx(1.0, abs=0.001 if fmt in ("pcm", "wav", "flac") else 0.1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_bytes_flow_before_finish_and_a_prefix_decodes(tmp_path: Path, fmt: str) -> None:
    rate = output_rate(fmt, None, 22_050)
    x = make_signal(rate, 2.0)
    encoder = open_encoder(fmt, rate)
    step = rate * CHUNK_MS // 1000
    sent = bytearray()
    fed = 0
    while fed < 0.3 * rate:
        sent += encoder.encode(x[fed : fed + step])
        fed += step

    path = write(tmp_path, fmt, bytes(sent), "prefix")
    y, stderr = ffmpeg_decode(path, fmt, rate)
    assert stderr == ""
    decoded_rate = OPUS_DECODE_RATE if fmt == "opus" else rate
    # Audio, not just headers: at most ~200 ms (an Ogg page, the codec's look-ahead) may still be held back.
    assert len(y) / decoded_rate >= fed / rate - 0.2
    assert peak_hz(y, decoded_rate) == pytest.approx(TONE_HZ, abs=5.0)


def test_wav_with_total_samples_has_exact_sizes(tmp_path: Path) -> None:
    rate = 22_050
    x = make_signal(rate, 1.0)
    data = b"".join(stream(open_encoder("wav", rate, total_samples=len(x)), x))
    riff, riff_size, wave, fmt_id, data_id, data_size = struct.unpack("<4sI4s4s20x4sI", data[:44])
    assert (riff, wave, fmt_id, data_id) == (b"RIFF", b"WAVE", b"fmt ", b"data")
    assert data_size == 2 * len(x)
    assert riff_size == len(data) - 8
    assert len(data) == 44 + 2 * len(x)
    y, sr = sf.read(str(write(tmp_path, "wav", data)), dtype="float32")
    assert (sr, len(y)) == (rate, len(x))
    np.testing.assert_allclose(y, x, atol=1e-4)


def test_wav_without_total_marks_sizes_unknown_and_still_decodes(tmp_path: Path) -> None:
    rate = 16_000
    x = make_signal(rate, 1.0)
    data = b"".join(stream(open_encoder("wav", rate), x))
    assert struct.unpack_from("<I", data, 4)[0] == 0xFFFFFFFF
    assert struct.unpack_from("<I", data, 40)[0] == 0xFFFFFFFF
    y, _ = ffmpeg_decode(write(tmp_path, "wav", data), "wav", rate)
    assert len(y) == len(x)
    np.testing.assert_allclose(y, x, atol=1e-4)


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_total_samples_is_enforced(tmp_path: Path, fmt: str) -> None:
    rate = 16_000
    encoder = open_encoder(fmt, rate, total_samples=rate)
    first = encoder.encode(np.zeros(rate - 100, np.float32))
    with pytest.raises(ValueError, match="opened for 16000 samples"):
        encoder.encode(np.zeros(200, np.float32))
    # Short streams are made up with silence so the header stays true.
    path = write(tmp_path, fmt, first + encoder.finish())
    assert float(ffprobe(path, fmt, rate)["format"]["duration"]) == pytest.approx(1.0, abs=1e-6)
    assert len(sf.read(str(path))[0]) == rate


def test_streamed_flac_with_total_samples_states_its_length(tmp_path: Path) -> None:
    rate = 24_000
    x = make_signal(rate, 2.37)
    path = write(tmp_path, "flac", b"".join(stream(open_encoder("flac", rate, total_samples=len(x)), x)))
    assert float(ffprobe(path, "flac", rate)["format"]["duration"]) == pytest.approx(2.37, abs=1e-6)
    y, _ = sf.read(str(path), dtype="float32")
    np.testing.assert_allclose(y, x, atol=1e-4)


def _opus_lengths(data: bytes) -> tuple[int, int, int]:
    """(pre-skip, input rate from OpusHead, granule position of the last Ogg page)."""
    head = data.index(b"OpusHead")
    pre_skip, input_rate = struct.unpack_from("<HI", data, head + 10)
    last_page = data.rindex(b"OggS")
    (granule,) = struct.unpack_from("<q", data, last_page + 6)
    return pre_skip, input_rate, granule


@pytest.mark.parametrize("rate", [16_000, 24_000])
def test_opus_granule_minus_pre_skip_is_the_input_length(rate: int) -> None:
    x = make_signal(rate, 2.37)
    pre_skip, input_rate, granule = _opus_lengths(b"".join(stream(open_encoder("opus", rate), x)))
    assert input_rate == rate
    assert pre_skip > 0
    assert granule - pre_skip == len(x) * OPUS_DECODE_RATE // rate


@pytest.mark.parametrize("fmt", ["mp3", "opus", "flac", "aac", "wav", "pcm"])
def test_encode_all_writes_a_complete_file(tmp_path: Path, fmt: str) -> None:
    rate = output_rate(fmt, None, 24_000)
    x = make_signal(rate, 1.3)
    data = encode_all(x, rate, fmt)
    path = write(tmp_path, fmt, data)
    y, decoded_rate = decode(path, fmt, rate)
    expected_len = len(x) * decoded_rate // rate
    if fmt == "aac":  # ADTS has nowhere to put the priming
        assert expected_len <= len(y) <= expected_len + 2048
    else:  # MP3 here carries a Xing/LAME header, so ffmpeg trims priming and padding
        assert len(y) == expected_len
    assert peak_hz(y, decoded_rate) == pytest.approx(TONE_HZ, abs=5.0)
    if fmt == "mp3":
        assert b"Info" in data[:1000] or b"Xing" in data[:1000]
    if fmt == "flac":
        # The muxer went back to fill in STREAMINFO's MD5 (file bytes 26..41).
        assert data[26:42] != bytes(16)


@pytest.mark.parametrize(("rate", "bitrate"), [(16_000, 32_000), (24_000, 64_000)])
def test_mp3_default_bitrate_depends_on_rate(tmp_path: Path, rate: int, bitrate: int) -> None:
    path = write(tmp_path, "mp3", encode_all(make_signal(rate, 1.0), rate, "mp3"))
    assert int(ffprobe(path, "mp3", rate)["streams"][0]["bit_rate"]) == bitrate


def test_bitrate_option_changes_the_stream_size() -> None:
    x = make_signal(24_000, 2.0)
    small = encode_all(x, 24_000, "opus", bitrate=16_000)
    large = encode_all(x, 24_000, "opus", bitrate=64_000)
    assert len(large) > 2 * len(small)


def test_pcm_is_s16le_and_clips_instead_of_wrapping() -> None:
    encoder = open_encoder("pcm", 16_000)
    data = encoder.encode(np.array([0.0, 0.5, -0.5, 2.0, -2.0, np.nan], np.float32)) + encoder.finish()
    assert np.frombuffer(data, "<i2").tolist() == [0, 16384, -16384, 32767, -32767, 0]


@pytest.mark.parametrize(
    ("fmt", "requested", "source", "expected"),
    [
        ("opus", None, 22_050, 24_000),
        ("opus", None, 16_000, 16_000),
        ("opus", None, 44_100, 48_000),
        ("opus", 12_000, 22_050, 12_000),
        ("opus", 96_000, 22_050, 48_000),
        ("mp3", None, 22_050, 22_050),
        ("mp3", None, 23_000, 24_000),
        ("mp3", 44_100, 22_050, 44_100),
        ("aac", None, 22_050, 22_050),
        ("wav", None, 22_050, 22_050),
        ("flac", 8_000, 22_050, 8_000),
        ("pcm", None, 19_000, 19_000),
    ],
)
def test_output_rate(fmt: str, requested: int | None, source: int, expected: int) -> None:
    assert output_rate(fmt, requested, source) == expected


def test_unknown_format_names_the_allowed_ones() -> None:
    for call in (lambda: open_encoder("ogg", 16_000), lambda: output_rate("m4a", None, 16_000)):
        with pytest.raises(InvalidOptionError) as err:
            call()
        assert all(fmt in str(err.value) for fmt in FORMATS)


def test_rate_the_codec_cannot_take_is_refused() -> None:
    with pytest.raises(InvalidOptionError, match="24000"):
        open_encoder("opus", 22_050)


def test_encoder_is_unusable_after_finish() -> None:
    encoder = open_encoder("mp3", 24_000)
    encoder.encode(np.zeros(2400, np.float32))
    encoder.finish()
    with pytest.raises(RuntimeError):
        encoder.encode(np.zeros(10, np.float32))
    with pytest.raises(RuntimeError):
        encoder.finish()


def test_stereo_input_is_refused() -> None:
    with pytest.raises(ValueError, match="mono"):
        open_encoder("wav", 16_000).encode(np.zeros((100, 2), np.float32))


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_a_sealed_streamed_file_states_its_exact_length(tmp_path: Path, fmt: str) -> None:
    from tts_engine.audio.codecs import seal_file

    rate = 22050
    signal = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(1.7 * rate)) / rate)).astype(np.float32)
    path = tmp_path / f"sealed.{fmt}"
    encoder = open_encoder(fmt, rate)
    with open(path, "w+b") as out:
        for start in range(0, len(signal), 800):
            out.write(encoder.encode(signal[start : start + 800]))
        out.write(encoder.finish())
        seal_file(out, fmt, rate, len(signal))
    info = sf.info(str(path))
    assert info.frames == len(signal) and info.samplerate == rate
