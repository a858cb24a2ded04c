"""Fixtures for the job tests: a real redis-server, settings tuned for fast recovery, and a harness
that runs the same contract on every broker backend (memory, sqlite, redis)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from integrator.config import JobsConfig, Settings
from integrator.jobs.abc import AudioCache, Sink
from tts_engine.engine import Engine
from tts_engine.testing import ToneBackend

# The test folders are not packages: make the helpers module beside this file importable by name.
sys.path.insert(0, str(Path(__file__).parent))
from jobs_helpers import (
    BACKENDS,
    FAST,
    Harness,
    HarnessFactory,
    SettingsFactory,
    free_port,
    make_engine,
)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI installs it")
    import redis

    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    which = shutil.which("initdb")
    return found[-1].parent if found else Path(which).parent if which else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a Unix socket; ``{db}`` in the URL names the database."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'psycopg[binary]')")
    root = Path(tempfile.mkdtemp(prefix="voxflow-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(root / "data"), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8"], **quiet)  # type: ignore[call-overload]
    options = f"-p {port} -k {root} -c listen_addresses='' -c fsync=off"
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-o", options,
                    "-l", str(root / "log"), "-w", "start"], **quiet)  # type: ignore[call-overload]
    base = f"host={root} port={port} user=postgres"
    with psycopg.connect(f"{base} dbname=postgres", autocommit=True) as conn:
        conn.execute("select 1")
    yield f"postgresql+psycopg://postgres@/{{db}}?host={root}&port={port}"
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"],
                   **quiet)  # type: ignore[call-overload]
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty job database on each supported backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'voxflow.db'}"
    import psycopg

    template: str = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    host = template.split("host=")[1].split("&")[0]
    port = template.split("port=")[1]
    with psycopg.connect(f"host={host} port={port} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"create database {name}")
    return template.format(db=name)


@pytest.fixture
def tone() -> ToneBackend:
    return ToneBackend("test-tone")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        request.getfixturevalue("redis_url")  # skips the param when redis-server is missing
    return str(request.param)


@pytest.fixture
def make_settings(tmp_path: Path, request: pytest.FixtureRequest) -> SettingsFactory:
    def make(backend: str = "sqlite", **jobs: Any) -> Settings:
        cfg: dict[str, Any] = {
            **FAST,
            "backend": "redis" if backend == "redis" else "sqlite",
            "queue_name": f"t{uuid.uuid4().hex[:12]}",
            **jobs,
        }
        if backend == "redis":
            cfg["redis_url"] = request.getfixturevalue("redis_url")
        return Settings(data_dir=tmp_path / "data", jobs=JobsConfig(**cfg))

    return make


@pytest.fixture
def harness(make_settings: SettingsFactory, backend: str, tone: ToneBackend) -> Iterator[HarnessFactory]:
    """``harness(engine=..., sinks=..., **jobs_config)``: a Harness on the parametrized backend."""
    made: list[Harness] = []

    def make(
        engine: Engine | None = None,
        sinks: Mapping[str, Sink] | None = None,
        cache: AudioCache | None = None,
        **jobs: Any,
    ) -> Harness:
        settings = make_settings(backend, **jobs)
        h = Harness(settings, backend, engine or make_engine(tone), sinks=sinks, cache=cache)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
