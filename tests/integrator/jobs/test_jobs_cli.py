"""`voxflow jobs ls|show|retry|cancel`, straight on the job database with no server running."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from integrator.cli import app
from integrator.config import load_settings
from integrator.jobs.job import JobSpec, JobStatus
from integrator.jobs.service import JobService


def test_jobs_commands_work_on_the_database_alone(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "jobs": {"queue_name": "cli"}}))
    service = JobService.from_settings(load_settings(config))
    a, _ = service.submit(JobSpec(texts=["First."], source="feishu"))
    b, _ = service.submit(JobSpec(texts=["Second."]))
    runner = CliRunner(env={"COLUMNS": "200"})
    args = ["--config", str(config)]

    listed = runner.invoke(app, ["jobs", "ls", *args])
    assert listed.exit_code == 0, listed.output
    assert a.id in listed.output and b.id in listed.output and "feishu" in listed.output
    only = runner.invoke(app, ["jobs", "ls", "--source", "feishu", *args])
    assert a.id in only.output and b.id not in only.output

    shown = runner.invoke(app, ["jobs", "show", a.id, *args])
    assert shown.exit_code == 0 and json.loads(shown.output)["id"] == a.id

    cancelled = runner.invoke(app, ["jobs", "cancel", a.id, *args])
    assert cancelled.exit_code == 0 and cancelled.output.strip() == f"{a.id} cancelled"
    assert service.get(a.id).status is JobStatus.CANCELLED

    pending = service.broker.pending()
    retried = runner.invoke(app, ["jobs", "retry", a.id, *args])
    assert retried.exit_code == 0 and retried.output.strip() == f"{a.id} queued"
    assert service.get(a.id).status is JobStatus.QUEUED
    assert service.broker.pending() == pending + 1  # enqueued for whichever worker comes up

    refused = runner.invoke(app, ["jobs", "retry", b.id, *args])
    assert refused.exit_code == 1 and "only failed, dead or cancelled" in refused.output
    missing = runner.invoke(app, ["jobs", "show", "j0000", *args])
    assert missing.exit_code == 1 and "no job 'j0000'" in missing.output
    bad = runner.invoke(app, ["jobs", "ls", "--status", "lost", *args])
    assert bad.exit_code == 2 and "unknown status" in bad.output
    service.close()
