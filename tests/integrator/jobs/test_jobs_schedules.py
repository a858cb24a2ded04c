"""Schedules: config validation, registered and dotted actions, persistence, no burst after downtime."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from jobs_helpers import SettingsFactory
from pydantic import ValidationError
from sqlalchemy import inspect

from integrator.config import JobsConfig, ScheduleConfig, Settings
from integrator.jobs.job import JobStatus, Priority
from integrator.jobs.schedules import TABLE, ActionContext, ActionRegistry, Schedules, submit_job
from integrator.jobs.service import JobService

CALLS: list[dict[str, Any]] = []


def record(**args: Any) -> None:
    """A dotted-path action: called with the schedule's args alone."""
    CALLS.append(args)


@pytest.fixture
def registry() -> ActionRegistry:
    reg = ActionRegistry()
    reg.register("jobs.submit")(submit_job)

    @reg.register("count")
    def count(ctx: ActionContext, **args: Any) -> None:
        assert isinstance(ctx.jobs, JobService)
        CALLS.append(args)

    return reg


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


@pytest.fixture
def make(make_settings: SettingsFactory, registry: ActionRegistry) -> Iterator[Any]:
    """``make(schedules)``: a started Schedules over a job service on a shared SQLite database."""
    started: list[tuple[Schedules, JobService]] = []
    base = make_settings("sqlite")

    def start(schedules: list[dict[str, Any]]) -> Schedules:
        cfg = base.jobs.model_copy(update={"schedules": [ScheduleConfig(**s) for s in schedules]})
        settings = Settings(data_dir=base.data_dir, jobs=cfg)
        service = JobService.from_settings(settings, backend="memory")
        s = Schedules(settings, service, registry)
        s.start()
        started.append((s, service))
        return s

    yield start
    for s, service in started:
        s.stop()
        service.close()


def wait_for(predicate: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_schedule_needs_exactly_one_trigger_and_a_valid_cron() -> None:
    with pytest.raises(ValidationError, match="exactly one of cron or interval_seconds"):
        ScheduleConfig(id="x", action="count")
    with pytest.raises(ValidationError, match="exactly one of cron or interval_seconds"):
        ScheduleConfig(id="x", action="count", cron="* * * * *", interval_seconds=5)
    with pytest.raises(ValidationError, match="schedule 'nightly': bad cron"):
        ScheduleConfig(id="nightly", action="count", cron="61 2 * * *")
    with pytest.raises(ValidationError, match="ids must be unique"):
        JobsConfig(schedules=[{"id": "a", "action": "x", "interval_seconds": 1}] * 2)  # type: ignore[list-item]


def test_registered_and_dotted_actions_run_on_their_interval(make: Any) -> None:
    make(
        [
            {"id": "poll", "interval_seconds": 0.2, "action": "count", "args": {"board": "b1"}},
            {"id": "dotted", "interval_seconds": 0.2, "action": f"{__name__}:record", "args": {"n": 1}},
        ]
    )
    assert wait_for(lambda: CALLS.count({"board": "b1"}) >= 2 and CALLS.count({"n": 1}) >= 2)


def test_an_unknown_action_fails_at_start(make: Any) -> None:
    with pytest.raises(LookupError, match="unknown action 'nope'"):
        make([{"id": "x", "interval_seconds": 60, "action": "nope"}])
    with pytest.raises(LookupError, match="cannot import"):
        make([{"id": "x", "interval_seconds": 60, "action": "no_such_module.fn"}])


def test_the_submit_action_queues_a_batch_job(make: Any) -> None:
    s = make(
        [
            {
                "id": "nightly",
                "interval_seconds": 0.2,
                "action": "jobs.submit",
                "args": {"texts": ["Nightly digest."], "format": "pcm"},
            }
        ]
    )
    assert wait_for(lambda: bool(s.jobs.page(source="schedule")[0]))
    job = s.jobs.page(source="schedule")[0][0]
    assert (job.status, job.priority) == (JobStatus.QUEUED, Priority.BATCH)
    assert job.spec.texts == ["Nightly digest."]


def test_schedules_are_stored_and_reconciled_with_the_config(make: Any) -> None:
    first = make(
        [
            {"id": "a", "interval_seconds": 3600, "action": "count"},
            {"id": "b", "cron": "0 2 * * *", "action": "count"},
        ]
    )
    runs = first.next_runs()
    assert set(runs) == {"a", "b"}
    assert "voxflow_schedules" in inspect(first.jobs.store.engine).get_table_names()
    first.stop()
    time.sleep(0.05)
    second = make(
        [
            {"id": "a", "interval_seconds": 3600, "action": "count"},
            {"id": "c", "interval_seconds": 60, "action": "count"},
        ]
    )
    again = second.next_runs()
    assert set(again) == {"a", "c"}  # b left the config, c joined
    assert again["a"] == runs["a"]  # unchanged: its stored next run time is kept


@pytest.mark.parametrize(
    ("trigger", "missed_for", "expected"),
    [
        ({"interval_seconds": 2}, timedelta(hours=1), 1),  # 1800 missed runs fire once: no burst
        ({"cron": "0 2 * * *"}, timedelta(seconds=60), 1),  # late by less than misfire_grace_seconds
        ({"cron": "0 2 * * *"}, timedelta(hours=1), 0),  # too late: skipped until tomorrow
    ],
)
def test_runs_missed_while_down_fire_once_at_most(
    make: Any, trigger: dict[str, Any], missed_for: timedelta, expected: int
) -> None:
    config = [{"id": "poll", "action": "count", **trigger}]
    first = make(config)
    first.stop()
    # The process "was down": move the stored next run into the past, with no scheduler running.
    store = SQLAlchemyJobStore(engine=first.jobs.store.engine, tablename=TABLE)
    store.start(BackgroundScheduler(), "default")
    job = store.lookup_job("poll")
    assert job is not None
    job.next_run_time = datetime.now().astimezone() - missed_for
    store.update_job(job)
    CALLS.clear()
    make(config)
    time.sleep(1.0)
    assert len(CALLS) == expected
