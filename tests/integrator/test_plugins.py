"""Connectors are plugins: one installed through an entry point (here a package that exists only
in this test) adds a settings section, a job sink and a route, with no change to integrator."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from integrator.app import create_app
from integrator.config import Settings, load_settings
from integrator.jobs.job import JobSpec
from integrator.jobs.sinks import build_sinks
from integrator.plugins import ENTRY_POINTS, PluginError, discover, load_installed_settings
from integrator.services import compose
from tests.integrator.servekit import tone_engine, tone_voices

PLUGIN = '''
from pathlib import Path
from typing import Any, ClassVar

from fastapi import FastAPI
from pydantic import BaseModel

from integrator.jobs.abc import Receipt, Sink
from integrator.plugins import Connector


class Section(BaseModel):
    greeting: str = "hello"
    inbox: str = "inbox"


class Collect(Sink):
    def __init__(self, key: str, directory: Path) -> None:
        self.key, self.directory = key, directory

    def deliver(self, job: Any, artifact: Path, params: dict[str, Any]) -> Receipt:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / artifact.name).write_bytes(artifact.read_bytes())
        return Receipt(self.key, artifact.name, {})


class TinyPlugin(Connector):
    name = "tiny"
    sections: ClassVar[dict[str, Any]] = {"tiny": Section}

    @classmethod
    def default_sinks(cls, settings):
        return {"tiny": {"type": "tiny"}}

    def sink_types(self):
        cfg = self.settings.section("tiny", Section)
        return {"tiny": lambda name, options: Collect(name, self.settings.data_dir / cfg.inbox)}

    def install_routes(self, app: FastAPI) -> None:
        greeting = self.settings.section("tiny", Section).greeting

        @app.get("/v1/tiny/hello")
        def hello() -> dict[str, str]:
            return {"greeting": greeting}

    def public_paths(self):
        return ("/v1/tiny/hello",)
'''


def install_plugin(site: Path, entry: str = "tiny_voxflow_plugin:TinyPlugin") -> None:
    """A distribution as pip would install it: the module, and a dist-info naming the entry point."""
    (site / "tiny_voxflow_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "tiny_voxflow_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-voxflow-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINTS}]\ntiny = {entry}\n")


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site)
    monkeypatch.syspath_prepend(str(site))
    yield tmp_path
    import sys

    sys.modules.pop("tiny_voxflow_plugin", None)


def test_an_installed_plugin_adds_a_section_a_sink_and_a_route(tiny: Path) -> None:
    assert "tiny" in [c.name for c in discover()]
    config = tiny / "config.yaml"
    config.write_text(f"data_dir: {tiny / 'data'}\ntiny: {{greeting: 你好}}\nserver: {{api_keys: [k]}}\n")
    settings = load_installed_settings(config)
    services = compose(settings)
    try:
        # The sink: added to jobs.sinks, built by the plugin's type, delivering a job's file.
        assert services.settings.jobs.sinks["tiny"] == {"type": "tiny"}
        assert "tiny" not in settings.jobs.sinks  # the loaded settings are left as they were
        sink = build_sinks(services.settings.jobs.sinks, services.sink_types)["tiny"]
        artifact = tiny / "j1.mp3"
        artifact.write_bytes(b"ID3 audio")
        job_service = services.job_service(backend="memory")
        try:
            job, _ = job_service.submit(JobSpec(texts=["你好"], sinks=[{"name": "tiny"}]))
            sink.deliver(job, artifact, {})
        finally:
            job_service.close()
        assert (tiny / "data" / "inbox" / "j1.mp3").read_bytes() == b"ID3 audio"
        # The route: on the app, public as the plugin says, answering from its own section.
        app = create_app(engine=tone_engine(tone_voices()), services=services)
        with TestClient(app) as client:
            assert client.get("/v1/tiny/hello").json() == {"greeting": "你好"}
            assert client.get("/v1/jobs").status_code == 401  # the rest still needs the key
    finally:
        services.close()


def test_a_plugin_section_is_validated_by_its_own_model(tiny: Path) -> None:
    config = tiny / "config.yaml"
    config.write_text("tiny: {greeting: [not, a, string]}\n")
    with pytest.raises(Exception, match="tiny"):
        load_installed_settings(config)


def test_an_entry_point_that_is_not_a_connector_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, entry="tiny_voxflow_plugin:Section")
    monkeypatch.syspath_prepend(str(site))
    try:
        with pytest.raises(PluginError, match=r"'tiny' .* is not an integrator\.plugins\.Connector"):
            discover()
    finally:
        import sys

        sys.modules.pop("tiny_voxflow_plugin", None)


def test_settings_come_from_the_environment_too(tmp_path: Path) -> None:
    environ = {
        "VOXFLOW_DATA_DIR": str(tmp_path / "elsewhere"),
        "VOXFLOW_JOBS__REDIS_URL": "redis://queue.internal:6380/2",
        "VOXFLOW_JOBS__WORKERS": "3",
        "VOXFLOW_SERVER__API_KEYS": '["from-env"]',
        "VOXFLOW_FEISHU__POLL_INTERVAL_S": "42",
        "VOXFLOW_CONFIG": str(tmp_path / "none.yaml"),  # names the file: not a setting
    }
    (tmp_path / "none.yaml").write_text("jobs: {workers: 1, queue_name: fromfile}\n")
    settings = load_settings(environ=environ)
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.jobs.redis_url == "redis://queue.internal:6380/2"
    assert (settings.jobs.workers, settings.jobs.queue_name) == (3, "fromfile")  # env over file
    assert settings.server.api_keys == ["from-env"]
    assert settings.section("feishu", dict)["poll_interval_s"] == "42"  # its connector's model types it
    assert not hasattr(settings, "config")


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="VOXFLOW_SERVER__API_KEYS"):
        load_settings(environ={"VOXFLOW_SERVER__API_KEYS": "[oops", "VOXFLOW_CONFIG": ""})


def test_two_apps_with_different_settings_live_in_one_process(tmp_path: Path) -> None:
    def settings(name: str, key: str) -> Settings:
        return load_installed_settings(_write(tmp_path / f"{name}.yaml", (
            f"data_dir: {tmp_path / name}\nserver: {{api_keys: [{key}]}}\n"
            f"feeds: {{replay_s: {len(name)}}}\njobs: {{workers: 0}}\n"
        )))

    engine = tone_engine(tone_voices())
    first, second = compose(settings("first", "k1")), compose(settings("second-app", "k2"))
    try:
        a, b = create_app(engine=engine, services=first), create_app(engine=engine, services=second)
        with TestClient(a) as ca, TestClient(b) as cb:
            job = ca.post("/v1/jobs", json={"texts": ["你好"]}, headers={"Authorization": "Bearer k1"})
            assert job.status_code == 202, job.text
            job_id = job.json()["id"]
            assert cb.get("/v1/jobs", headers={"Authorization": "Bearer k1"}).status_code == 401
            assert cb.get(f"/v1/jobs/{job_id}", headers={"Authorization": "Bearer k2"}).status_code == 404
            assert ca.get(f"/v1/jobs/{job_id}", headers={"Authorization": "Bearer k1"}).status_code == 200
        assert a.state.feeds is not b.state.feeds
        assert (a.state.feeds.replay_s, b.state.feeds.replay_s) == (5, 10)
        assert (tmp_path / "first" / "voxflow.db").exists()
        assert (tmp_path / "second-app" / "voxflow.db").exists()
    finally:
        first.close()
        second.close()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
