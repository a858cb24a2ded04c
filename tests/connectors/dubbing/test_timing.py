"""How long each cue may speak: compressed into its slot, borrowing silence, or refused."""

from __future__ import annotations

import pytest

from connectors.dubbing.config import DubbingConfig
from connectors.dubbing.subtitles import Cue, SubtitleError
from connectors.dubbing.timing import check_estimate, decide, slots

RULES = DubbingConfig(max_compression=2.0, max_slowdown=1.1)
CUES = [Cue(1, 1000, 3000, "a"), Cue(2, 2500, 4000, "b"), Cue(3, 5000, 6000, "c")]


def test_slots_stop_at_the_next_cue_and_the_track_at_the_last_end() -> None:
    got = [(s.start_ms, s.end_ms, s.room_end_ms) for s in slots(CUES)]
    assert got == [(1000, 2500, 2500), (2500, 4000, 5000), (5000, 6000, 6000)]


@pytest.mark.parametrize(
    ("natural", "target", "compression", "borrowed", "refit"),
    [
        (1500, 1500, 1.0, 0, False),  # exactly the slot
        (1480, 1500, 1480 / 1500, 0, False),  # within the engine's accuracy: kept as spoken
        (1200, 1320, 0.8, 0, True),  # slowed by at most 10 %
        (300, 330, 0.2, 0, False),  # short speech is not dragged over a long slot
        (2400, 1500, 1.6, 0, True),  # compressed into the slot
        (3000, 1500, 2.0, 0, True),
        (3600, 1800, 2.4, 300, True),  # 2× at most: takes 300 ms of the silence after the slot
        (5000, 2500, 5000 / 1500, 1000, True),  # all of it
    ],
)
def test_decide(natural: float, target: float, compression: float, borrowed: float, refit: bool) -> None:
    fit = decide(CUES[1], slots(CUES)[1], natural, RULES)
    assert (fit.target_ms, fit.borrowed_ms, fit.refit) == (
        pytest.approx(target),
        pytest.approx(borrowed),
        refit,
    )
    assert fit.compression == pytest.approx(compression)


def test_speech_that_cannot_fit_before_the_next_cue_is_refused_naming_the_cue() -> None:
    with pytest.raises(SubtitleError) as caught:
        decide(CUES[1], slots(CUES)[1], 5200, RULES)
    message = str(caught.value)
    assert message.startswith("cue 2 (00:00:02,500 --> 00:00:04,000): its speech takes 5.20 s")
    assert "all the time up to the next cue (2.50 s)" in message
    assert message.endswith("shorten its text or lengthen the cue")


def test_a_cue_far_too_long_by_its_estimate_is_refused_before_synthesis() -> None:
    slot = slots(CUES)[1]  # 2.5 s up to the next cue: up to 2 × 1.5 × 2.5 = 7.5 s passes
    check_estimate(CUES[1], slot, 7400, RULES)
    with pytest.raises(SubtitleError) as caught:
        check_estimate(CUES[1], slot, 7600, RULES)
    assert str(caught.value) == (
        "cue 2 (00:00:02,500 --> 00:00:04,000): its text takes about 7.6 s to say, 3.0 times all the "
        "time up to the next cue (2.50 s): shorten its text or lengthen the cue"
    )
