"""Turns: at most `slots` holders; urgent waiters earliest deadline first, the others in arrival order."""

from __future__ import annotations

import threading
import time

import pytest
from engine_helpers import until

from tts_engine.errors import SynthesisCancelled
from tts_engine.turns import URGENT_S, Turns


def queue_up(turns: Turns, deadlines: list[float | None], order: list[int]) -> list[threading.Thread]:
    """One thread per deadline, each waiting for a turn in list order; the turn's index is recorded."""

    def wait(i: int, deadline: float | None) -> None:
        with turns.turn(deadline):
            order.append(i)

    threads = []
    for i, deadline in enumerate(deadlines):
        threads.append(threading.Thread(target=wait, args=(i, deadline)))
        threads[-1].start()
        until(lambda n=i + 1: turns.waiting == n)
    return threads


def test_among_urgent_waiters_the_earliest_deadline_goes_first_and_ties_keep_arrival_order() -> None:
    turns = Turns()
    order: list[int] = []
    turns.acquire()
    threads = queue_up(turns, [30.0, 10.0, 20.0, 10.0], order)
    turns.release()
    for t in threads:
        t.join(5)
    assert order == [1, 3, 2, 0]


def test_no_deadline_means_now_ahead_of_listeners_with_audio_left() -> None:
    turns = Turns()
    order: list[int] = []
    turns.acquire()
    threads = queue_up(turns, [time.monotonic() + 5, None], order)
    turns.release()
    for t in threads:
        t.join(5)
    assert order == [1, 0]


def test_waiters_with_audio_to_spare_take_turns_in_arrival_order_after_urgent_ones() -> None:
    turns = Turns()
    order: list[int] = []
    turns.acquire()
    now = time.monotonic()
    spare = URGENT_S + 5
    threads = queue_up(turns, [now + spare + 20, now + spare, now + spare + 10, now + 0.2], order)
    turns.release()
    for t in threads:
        t.join(5)
    assert order == [3, 0, 1, 2]


def test_a_waiter_becomes_urgent_as_its_deadline_nears() -> None:
    turns = Turns()
    order: list[int] = []
    turns.acquire()
    now = time.monotonic()
    threads = queue_up(turns, [now + 60, now + URGENT_S + 0.3], order)
    time.sleep(0.5)  # the second is now due within URGENT_S; the first is not
    turns.release()
    for t in threads:
        t.join(5)
    assert order == [1, 0]


def test_at_most_slots_hold_a_turn_at_once() -> None:
    turns = Turns(slots=2)
    holding, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal holding, most
        with turns.turn():
            with lock:
                holding += 1
                most = max(most, holding)
            time.sleep(0.02)
            with lock:
                holding -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert most == 2 and turns.busy == 0 and turns.waiting == 0


def test_a_free_slot_goes_to_the_next_waiter_while_another_is_held() -> None:
    turns = Turns(slots=2)
    turns.acquire()
    turns.acquire()
    order: list[int] = []
    threads = queue_up(turns, [1.0, 2.0], order)
    turns.release()  # one slot frees: both waiters get through, one after the other
    for t in threads:
        t.join(5)
    assert order == [0, 1] and turns.busy == 1
    turns.release()


def test_a_waiter_that_gives_up_leaves_the_queue_without_a_turn() -> None:
    turns = Turns()
    turns.acquire()
    stop = threading.Event()
    failures: list[BaseException] = []

    def wait() -> None:
        try:
            turns.acquire(0.0, stop.is_set)
        except SynthesisCancelled as exc:
            failures.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    until(lambda: turns.waiting == 1)
    stop.set()
    waiter.join(5)
    assert len(failures) == 1 and turns.waiting == 0 and turns.busy == 1
    turns.release()
    with turns.turn(5.0):  # the queue is not stuck behind the ticket that left
        assert turns.busy == 1


def test_misuse_is_refused() -> None:
    with pytest.raises(ValueError, match="slots"):
        Turns(0)
    with pytest.raises(RuntimeError, match="without a turn"):
        Turns().release()
