"""SSML's expressive markup: Azure's <mstts:express-as> and <prosody pitch range volume>."""

import math

import pytest

from tts_engine.errors import SSMLError
from tts_engine.prosody.targets import Targets
from tts_engine.prosody.tone import Tone
from tts_engine.text import analyze

NS = 'xmlns:mstts="https://www.w3.org/2001/mstts"'


def tones(ssml: str) -> dict[str, Tone | None]:
    return {p.text: p.tone for p in analyze(f"<speak {NS}>{ssml}</speak>")}


def test_express_as_sets_the_style_of_its_text_only() -> None:
    found = tones(
        '开始。<mstts:express-as style="cheerful" styledegree="0.6">今天真开心！</mstts:express-as>结束。'
    )
    assert found["开始。"] is None and found["结束。"] is None
    assert found["今天真开心！"] == Tone("cheerful", 0.6)


def test_styledegree_defaults_to_the_full_style_and_caps_there() -> None:
    found = tones(
        '<mstts:express-as style="sad">一句。</mstts:express-as>'
        '<mstts:express-as style="sad" styledegree="1.5">两句。</mstts:express-as>'
    )
    assert found["一句。"] == found["两句。"] == Tone("sad", 1.0)


def test_prosody_moves_add_up_inside_a_style() -> None:
    found = tones(
        '<mstts:express-as style="angry"><prosody pitch="+2st" range="+50%" volume="+3dB">'
        '我们赢了。<prosody pitch="-10%" volume="soft">轻一点。</prosody></prosody></mstts:express-as>'
    )
    assert found["我们赢了。"] == Tone("angry", 1.0, Targets(pitch_st=2, range=1.5, gain_db=3))
    inner = found["轻一点。"]
    assert inner is not None and inner.style == "angry"
    assert inner.adjust.pitch_st == pytest.approx(2 + 12 * math.log2(0.9))
    assert inner.adjust.gain_db == pytest.approx(3 - 6)
    assert inner.adjust.range == 1.5


def test_a_piece_never_mixes_tones() -> None:
    pieces = analyze(f'<speak {NS}>一二三<prosody pitch="high">四五六</prosody>七八九。</speak>')
    assert [(p.text, p.tone is not None) for p in pieces] == [
        ("一二三", False),
        ("四五六", True),
        ("七八九。", False),
    ]


@pytest.mark.parametrize(
    ("markup", "words"),
    [
        ('<prosody pitch="200Hz">好。</prosody>', "invalid pitch '200Hz'"),
        ('<prosody range="wide">好。</prosody>', "invalid range 'wide'"),
        ('<prosody volume="silent">好。</prosody>', "invalid volume 'silent'"),
        ('<prosody pitch="+30st">好。</prosody>', "pitch_st must be between"),
        ('<mstts:express-as style="sad" styledegree="3">好。</mstts:express-as>', "invalid styledegree '3'"),
        ('<mstts:express-as style="sad" role="Girl">好。</mstts:express-as>', "unsupported attribute 'role'"),
        ("<mstts:express-as>好。</mstts:express-as>", "missing required attribute 'style'"),
    ],
)
def test_bad_values_name_the_line_the_tag_and_the_value(markup: str, words: str) -> None:
    with pytest.raises(SSMLError, match=words) as info:
        analyze(f"<speak {NS}>\n{markup}</speak>")
    assert info.value.line == 2
    assert info.value.tag in ("prosody", "mstts:express-as")
