"""Helpers for the Feishu connector tests: a fake with one table, and the connector configured for it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.feishu.client import FeishuClient
from connectors.feishu.config import FeishuConfig
from connectors.feishu.connector import FeishuConnector
from connectors.feishu.fake import (
    ATTACHMENT,
    NUMBER,
    SINGLE_SELECT,
    TEXT,
    FakeFeishu,
)
from connectors.feishu.plugin import FeishuPlugin
from integrator.config import validate_settings
from integrator.jobs.job import Job
from integrator.jobs.workers import WorkerHandle
from integrator.services import compose
from tts_engine.engine import Engine
from tts_engine.policy import TextPolicy
from tts_engine.registry import VoiceRegistry
from tts_engine.testing import ToneBackend

COLUMNS = [("Title", TEXT), ("Minutes", TEXT), ("Audio", ATTACHMENT), ("Status", SINGLE_SELECT),
           ("Duration", NUMBER), ("Error", TEXT)]
APP = "bascnMinutes"


@dataclass
class Feishu:
    """A running fake, one table in it, and a connector configuration that points at both."""

    fake: FakeFeishu
    table_id: str
    cfg: FeishuConfig
    sleeps: list[float]

    def add(self, minutes: Any = "今天开会。", **fields: Any) -> str:
        return self.fake.add_record(APP, self.table_id, {"Minutes": minutes, **fields})

    def record(self, record_id: str) -> dict[str, Any]:
        return self.fake.record(APP, self.table_id, record_id)

    def client(self, **overrides: Any) -> FeishuClient:
        cfg = self.cfg.model_copy(update=overrides) if overrides else self.cfg
        return FeishuClient(cfg, sleep=self.sleeps.append)

    def calls(self, endpoint: str) -> int:
        return self.fake.faults.calls(endpoint)


def feishu_config(fake: FakeFeishu, table_id: str, **extra: Any) -> FeishuConfig:
    data: dict[str, Any] = {
        "enabled": True, "app_id": fake.app_id, "app_secret": fake.app_secret, "domain": fake.url,
        "encrypt_key": fake.encrypt_key, "verification_token": fake.verification_token,
        "tables": [{"app_token": APP, "table_id": table_id}], "timeout_s": 2.0,
        # Waits are recorded, not slept, by the client fixture; the jobs' own backoff stays real.
        "retry": {"attempts": 6, "initial_wait_s": 0.01, "max_wait_s": 5.0},
    }
    return FeishuConfig.model_validate(data | extra)


# -- the connector inside Voxflow's jobs ------------------------------------------
FAST_JOBS: dict[str, Any] = {
    "lease_seconds": 2.0, "heartbeat_seconds": 0.1, "retry_base_seconds": 0.2, "retry_max_seconds": 0.4,
    "requeue_after_seconds": 2.0, "sweep_interval_seconds": 0.5, "poll_seconds": 0.01, "cache_max_mb": 0,
    "shutdown_grace_seconds": 2.0, "max_attempts": 4,
}


def tone_engine(voice_id: str = "test-tone", policy: TextPolicy | None = None) -> Engine:
    voice = ToneBackend(voice_id, sample_rate=24000)
    registry = VoiceRegistry([voice.info], {voice.info.id: lambda: voice})
    return Engine(registry, default_voices={"zh": voice.info.id, "en": voice.info.id}, policy=policy)


class Stack:
    """Settings with the connector enabled for ``feishu``, a job service, workers over ``engine``."""

    def __init__(
        self, feishu: Feishu, data_dir: Path, engine: Engine | None = None, *,
        jobs: dict[str, Any] | None = None, policy: dict[str, Any] | None = None, **feishu_cfg: Any,
    ) -> None:
        self.feishu = feishu
        cfg = feishu.cfg.model_dump(mode="json") | {
            "app_secret": feishu.fake.app_secret, "encrypt_key": feishu.fake.encrypt_key,
            "verification_token": feishu.fake.verification_token, **feishu_cfg,
        }
        data = {
            "data_dir": str(data_dir), "jobs": FAST_JOBS | (jobs or {}), "feishu": cfg,
            "policy": policy or {},
        }
        loaded = validate_settings(data, FeishuPlugin.sections)
        self.services = compose(loaded)  # the sinks, the poll schedule and the text policy included
        self.engine = engine or tone_engine(policy=self.services.policy)
        self.settings = self.services.settings
        self.plugin = self.services.connector(FeishuPlugin)
        runtime = self.plugin.runtime
        self.runtime = runtime
        voices = self.engine.registry.ids()
        self.service = self.services.job_service(voices=voices, backend="memory")
        # Recorded, not slept: the client must not wait out Feishu's rate-limit windows in tests.
        client = FeishuClient(runtime.cfg, sleep=feishu.sleeps.append)
        runtime.attach(jobs=self.service, connector=FeishuConnector(runtime.cfg, client))
        self.handle: WorkerHandle | None = None

    def start(self, workers: int = 2) -> Stack:
        self.handle = self.services.worker_handle(
            self.engine, workers=workers, run_schedules=False, service=self.service
        ).start()
        return self

    def jobs(self) -> list[Job]:
        page, _ = self.service.page(source="feishu", limit=1000)
        return page

    def wait_jobs(self, count: int, timeout: float = 60.0) -> list[Job]:
        """Wait until ``count`` feishu jobs exist and all have finished."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.jobs()
            if len(jobs) >= count and all(j.status.terminal for j in jobs):
                return jobs
            if time.monotonic() > deadline:
                states = sorted(f"{j.id}:{j.status.value}:{j.error}" for j in jobs)
                raise AssertionError(f"{len(jobs)} jobs, not all finished after {timeout} s: {states[:5]}")
            time.sleep(0.05)

    def close(self) -> None:
        self.services.close()
        if self.handle is not None:
            self.handle.stop(2.0)
        self.service.close()
