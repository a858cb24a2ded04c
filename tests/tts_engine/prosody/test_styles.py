import math

import pytest

from tts_engine.errors import InvalidOptionError
from tts_engine.prosody.expression import Expression
from tts_engine.prosody.styles import BUILTIN, StyleBook
from tts_engine.prosody.targets import NEUTRAL, Targets


def test_every_issue_style_is_built_in_with_its_chinese_name() -> None:
    book = StyleBook()
    for name, alias in [
        ("neutral", "中性"),
        ("cheerful", "开心"),
        ("sad", "悲伤"),
        ("angry", "愤怒"),
        ("calm", "平静"),
        ("serious", "严肃"),
        ("gentle", "温柔"),
    ]:
        assert book.get(name) is book.get(alias) is book.get(name.upper())


def test_built_in_targets_point_the_documented_way() -> None:
    book = StyleBook()
    cheerful, sad, angry, calm = (book.get(n).targets for n in ("cheerful", "sad", "angry", "calm"))
    assert cheerful.pitch_st >= 2 and cheerful.range >= 1.2
    assert sad.pitch_st <= -1.5 and sad.range <= 0.8 and sad.rate <= 0.9
    assert angry.gain_db >= 3 and angry.rate >= 1.05
    assert calm.range <= 0.85 and calm.rate <= 0.95
    assert book.get("neutral").targets == NEUTRAL


def test_intensity_moves_part_of_the_way_linearly_in_semitones_geometrically_in_factors() -> None:
    sad = StyleBook().get("sad")
    half, full = sad.at(0.5), sad.at(1.0)
    assert sad.at(0.0) == NEUTRAL
    assert full == sad.targets
    assert half.pitch_st == pytest.approx(full.pitch_st / 2)
    assert half.gain_db == pytest.approx(full.gain_db / 2)
    assert half.range == pytest.approx(math.sqrt(full.range))
    assert half.rate == pytest.approx(math.sqrt(full.rate))
    for name in ("pitch_st", "range", "rate", "gain_db", "pause"):
        lo, hi = sorted((getattr(NEUTRAL, name), getattr(full, name)))
        assert lo <= getattr(half, name) <= hi


def test_targets_combine_and_stay_within_limits() -> None:
    both = Targets(pitch_st=2, range=1.5, gain_db=3).then(Targets(pitch_st=11, range=2, gain_db=-1))
    assert both.pitch_st == 12  # clamped
    assert both.range == 2.5  # clamped
    assert both.gain_db == 2


@pytest.mark.parametrize("intensity", [3, -0.1, math.nan, 1.01])
def test_intensity_out_of_range_names_the_field(intensity: float) -> None:
    with pytest.raises(InvalidOptionError, match="intensity") as info:
        Expression(style="sad", intensity=intensity).check(StyleBook())
    assert info.value.field == "intensity"


def test_unknown_style_names_the_field_and_lists_the_styles() -> None:
    with pytest.raises(InvalidOptionError, match=r"unknown style 'sleepy'.*cheerful") as info:
        Expression(style="sleepy").check(StyleBook())
    assert info.value.field == "style"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration_s": 0}, "duration_s"),
        ({"duration_s": -2}, "duration_s"),
        ({"duration_s": math.inf}, "duration_s"),
        ({"duration_ratio": 0.4}, "duration_ratio"),
        ({"duration_ratio": 2.5}, "duration_ratio"),
        ({"duration_s": 3, "duration_ratio": 1.2}, "duration_s"),
    ],
)
def test_bad_durations_name_their_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidOptionError) as info:
        Expression(**kwargs).check(StyleBook())  # type: ignore[arg-type]
    assert info.value.field == field


def test_settings_tune_a_style_and_add_one() -> None:
    book = StyleBook.from_settings(
        {
            "sad": {"pitch_st": -4},
            "whisper": {"gain_db": -8, "rate": 0.9, "aliases": ["耳语"], "description": "hushed"},
        }
    )
    assert book.get("sad").targets.pitch_st == -4
    assert book.get("sad").targets.range == BUILTIN[2].targets.range  # untouched numbers stay
    assert book.get("耳语").targets == Targets(gain_db=-8, rate=0.9)
    assert "whisper" in book.names()


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"sad": {"pitch": -4}}, "unknown key 'pitch'"),
        ({"sad": {"range": 9}}, "range must be between"),
        ({"sad": {"rate": "fast"}}, "styles.sad"),
        ({"loud": {"aliases": ["开心"]}}, "used by both"),
        ({"loud": 3}, "mapping"),
    ],
)
def test_bad_style_settings_say_what_is_wrong(overrides: dict, words: str) -> None:
    with pytest.raises(InvalidOptionError, match=words):
        StyleBook.from_settings(overrides)
