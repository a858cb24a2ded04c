"""`voxflow jobs ls|show|retry|cancel` (straight on the job database: works with the server down)
and `voxflow worker` (consumers only, for scale-out on Redis)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from integrator.cli_support import ConfigOption, fail, settings_or_fail

if TYPE_CHECKING:
    from integrator.config import Settings
    from integrator.jobs.service import JobService

jobs_app = typer.Typer(no_args_is_help=True, help="Durable jobs: list, inspect, retry, cancel.")


@contextmanager
def _service(config: Path | None, *, read_only: bool = False) -> Iterator[JobService]:
    """The job service on the configured database; one that does not exist is never created here,
    and the message says where it was looked for. ``read_only`` leaves the queue alone too."""
    from integrator.jobs.service import JobError, JobService

    settings = settings_or_fail(config)
    missing = _missing_database(settings, config)
    if missing is not None:
        raise _NoDatabase(missing)
    service = JobService.from_settings(settings, backend="memory" if read_only else None)
    try:
        yield service
    except JobError as exc:
        fail(str(exc), 1)
    finally:
        service.close()


class _NoDatabase(Exception):
    pass


def _missing_database(settings: Settings, config: Path | None) -> str | None:
    """Why there can be no jobs (a SQLite job database that does not exist, and where it would be)."""
    from sqlalchemy.engine import make_url

    from integrator.config import config_file
    from integrator.jobs.database import default_url

    url = make_url(settings.jobs.database_url or default_url(settings.data_dir))
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    database = Path(url.database).resolve()
    if database.is_file():
        return None
    source = config_file(config)
    if source is None:
        origin = "the default, as no config file was given or found here: pass --config or set VOXFLOW_CONFIG"
    else:
        origin = f"from {source}"
    return f"there is no job database at {database} (data_dir {settings.data_dir}: {origin})"


@jobs_app.command("ls")
def list_jobs(
    status: Annotated[str | None, typer.Option(help="Only jobs in this status.")] = None,
    source: Annotated[str | None, typer.Option(help="Only jobs from this source.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    config: ConfigOption = None,
) -> None:
    """List jobs, newest first."""
    from integrator.jobs.job import JobStatus

    try:
        wanted = JobStatus(status) if status else None
    except ValueError:
        fail(f"unknown status {status!r}; one of {', '.join(s.value for s in JobStatus)}")
    try:
        with _service(config, read_only=True) as service:
            jobs, _ = service.page(status=wanted, source=source, limit=limit)
            where = service.store.where
    except _NoDatabase as exc:
        typer.echo(f"no jobs: {exc}")
        return
    if not jobs:
        kind = " ".join(filter(None, [status, f"from {source}" if source else None]))
        typer.echo(f"no {kind + ' ' if kind else ''}jobs in {where}")
        return
    table = Table()
    # Ids are for copying into `voxflow jobs show`: never wrapped.
    table.add_column("id", no_wrap=True, min_width=25)
    for name in ("status", "source", "prio", "progress", "attempts", "created", "error"):
        table.add_column(name)
    for job in jobs:
        table.add_row(
            job.id, job.status.value, job.source, str(job.priority), f"{job.progress:.0%}",
            f"{job.attempts}/{job.max_attempts}", job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            (job.error or "")[:60],
        )
    Console().print(table)


@contextmanager
def _existing(job_id: str, config: Path | None, *, read_only: bool = False) -> Iterator[JobService]:
    try:
        with _service(config, read_only=read_only) as service:
            yield service
    except _NoDatabase as exc:
        fail(f"no job {job_id!r}: {exc}", 1)


@jobs_app.command("show")
def show_job(job_id: str, config: ConfigOption = None) -> None:
    """Everything about one job, as JSON."""
    with _existing(job_id, config, read_only=True) as service:
        job = service.get(job_id)
    typer.echo(json.dumps(job.as_dict(), indent=2, ensure_ascii=False))


@jobs_app.command("retry")
def retry_job(job_id: str, config: ConfigOption = None) -> None:
    """Queue a failed, dead or cancelled job again with fresh attempts."""
    with _existing(job_id, config) as service:
        job = service.retry(job_id)
    typer.echo(f"{job.id} {job.status.value}")


@jobs_app.command("cancel")
def cancel_job(job_id: str, config: ConfigOption = None) -> None:
    """Cancel a job: a queued one never starts, a running one stops at its next piece."""
    with _existing(job_id, config) as service:
        job = service.cancel(job_id)
    state = "cancelling" if job.status.value == "running" else job.status.value
    typer.echo(f"{job.id} {state}")


def worker(
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker threads.")] = 1,
    metrics_port: Annotated[int | None, typer.Option(help="Serve the job metrics on this port.")] = None,
    config: ConfigOption = None,
) -> None:
    """Run job consumers only (no HTTP): start one per machine to scale out on jobs.backend: redis."""
    from prometheus_client import CollectorRegistry

    from integrator.config import ConfigError
    from integrator.jobs.metrics import register_into
    from integrator.jobs.workers import run_worker
    from integrator.policy import RefusalMetrics
    from integrator.runtime import build_engine
    from integrator.services import compose

    settings = settings_or_fail(config)
    try:
        services = compose(settings)  # this process's connectors, sinks, kinds, feeds and text policy
    except ConfigError as exc:
        fail(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("huey", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    engine = build_engine(settings, services.policy)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        registry = CollectorRegistry()
        register_into(registry)
        registry.register(RefusalMetrics(engine.policy))
        start_http_server(metrics_port, registry=registry)
    try:
        clean = run_worker(services.worker_handle(engine, workers=workers, run_schedules=False))
    finally:
        services.close()
    raise typer.Exit(0 if clean else 1)
