"""Voice messages: Ogg Opus mono 16 kHz with its duration, sent once however often it is retried."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from feishu_helpers import Feishu

from connectors.feishu import fake as fk
from connectors.feishu import media
from connectors.feishu.chat import VoiceMessages, message_uuid
from connectors.feishu.client import FeishuError
from tts_engine.audio.codecs import encode_all


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    """2.5 s of a tone at 24 kHz as the jobs write it."""
    t = np.arange(int(2.5 * 24000)) / 24000
    path = tmp_path / "minutes.mp3"
    path.write_bytes(encode_all((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 24000, "mp3"))
    return path


def ffprobe(data: bytes, tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    info = json.loads(out)
    return {
        **info["streams"][0],
        "format_name": info["format"]["format_name"],
        "duration": float(info["format"]["duration"]),
    }


def test_voice_message_is_ogg_opus_mono_16k_with_its_duration(mp3: Path, tmp_path: Path) -> None:
    data, ms = media.voice_message(mp3)
    probe = ffprobe(data, tmp_path)
    assert probe["format_name"] == "ogg" and probe["codec_name"] == "opus" and probe["channels"] == 1
    head = data.index(b"OpusHead")
    channels, _pre_skip, input_rate = struct.unpack("<BHI", data[head + 9 : head + 16])
    assert (channels, input_rate) == (1, 16000)
    assert abs(ms - 2500) <= 80  # mp3 priming and padding, at most a frame or two
    assert abs(probe["duration"] * 1000 - ms) <= 30


def test_duration_is_what_a_decoder_plays(mp3: Path, tmp_path: Path) -> None:
    assert media.duration_s(mp3) == pytest.approx(2.5, abs=0.001)  # gapless: priming and padding dropped
    # ffprobe's container estimate counts whole MP3 frames, padding included
    assert abs(media.duration_s(mp3) - ffprobe(mp3.read_bytes(), tmp_path)["duration"]) <= 0.1


def test_post_uploads_the_file_then_sends_an_audio_message(feishu: Feishu, mp3: Path) -> None:
    data, ms = media.voice_message(mp3)
    message_id = VoiceMessages(feishu.client()).post(
        "oc_team", data, ms, "m.opus", message_uuid("job1", "oc_team")
    )
    [sent] = feishu.fake.messages
    request = sent["request"]
    assert sent["reply"]["message_id"] == message_id and request["receive_id"] == "oc_team"
    assert request["msg_type"] == "audio"
    file = feishu.fake.im_files[json.loads(request["content"])["file_key"]]
    assert (file["type"], file["duration"], file["data"]) == ("opus", ms, data)


def test_a_retried_send_posts_once(feishu: Feishu, mp3: Path) -> None:
    data, ms = media.voice_message(mp3)
    voice = VoiceMessages(feishu.client(timeout_s=0.3))
    feishu.fake.faults.inject("im.messages", fk.slow(0.8))  # sent, but the answer comes too late
    uuid = message_uuid("job2", "oc_team")
    first = voice.post("oc_team", data, ms, "m.opus", uuid)
    again = voice.post("oc_team", data, ms, "m.opus", uuid)  # the whole delivery retried by the job
    assert feishu.calls("im.messages") == 3 and len(feishu.fake.messages) == 1 and first == again


def test_a_chat_the_bot_is_not_in_is_a_permanent_error(feishu: Feishu, mp3: Path) -> None:
    feishu.fake.chats.add("oc_known")
    data, ms = media.voice_message(mp3)
    with pytest.raises(FeishuError) as info:
        VoiceMessages(feishu.client()).post("oc_other", data, ms, "m.opus", "u-1")
    assert info.value.code == 230002 and not info.value.retryable


def test_the_fake_refuses_a_voice_message_that_is_not_opus(feishu: Feishu, mp3: Path) -> None:
    with pytest.raises(FeishuError) as info:
        VoiceMessages(feishu.client()).upload(mp3.read_bytes(), 2500, "m.mp3")
    assert info.value.code == 234001
