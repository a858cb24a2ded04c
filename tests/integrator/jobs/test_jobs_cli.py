"""`voxflow jobs ls|show|retry|cancel`, straight on the job database with no server running."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from integrator.cli import cli_app
from integrator.config import load_settings
from integrator.jobs.job import JobSpec, JobStatus
from integrator.jobs.service import JobService

app = cli_app()  # the command with the installed connectors


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


def test_reading_jobs_elsewhere_creates_nothing_and_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    runner = CliRunner(env={"COLUMNS": "300", "VOXFLOW_CONFIG": None})

    listed = runner.invoke(app, ["jobs", "ls"])
    assert listed.exit_code == 0, listed.output
    assert f"no job database at {elsewhere / 'data' / 'voxflow.db'}" in listed.output
    assert "--config" in listed.output
    shown = runner.invoke(app, ["jobs", "show", "j0000"])
    assert shown.exit_code == 1 and "no job 'j0000': there is no job database" in shown.output
    for command in ("retry", "cancel"):
        assert runner.invoke(app, ["jobs", command, "j0000"]).exit_code == 1
    assert list(elsewhere.iterdir()) == []  # no ./data, no database, no queue file

    # Configured: the data dir of the config file, and an empty listing says which database it read.
    data = tmp_path / "service-data"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(data)}))
    missing = runner.invoke(app, ["jobs", "ls", "--config", str(config)])
    assert f"no job database at {data / 'voxflow.db'}" in missing.output and str(config) in missing.output
    assert not data.exists()
    JobService.from_settings(load_settings(config), backend="memory").close()
    empty = runner.invoke(app, ["jobs", "ls", "--status", "failed", "--config", str(config)])
    assert empty.exit_code == 0 and f"no failed jobs in {data / 'voxflow.db'}" in empty.output
    assert sorted(p.name for p in data.iterdir()) == ["voxflow.db"]  # reading made no queue file
    assert list(elsewhere.iterdir()) == []
