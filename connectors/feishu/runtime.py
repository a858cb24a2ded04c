"""One process's Feishu connector state: the SDK connector, the state store, the event drainer.

The plugin (plugin.py) makes one :class:`FeishuRuntime` per composed process and hands its sinks
and the ``feishu.poll`` action to the job system. The SDK (slow to import) is loaded only once
the connector first talks to Feishu.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from integrator.jobs.database import default_url, make_engine

from .config import FeishuConfig
from .events import Webhook
from .store import FeishuStore

if TYPE_CHECKING:
    from integrator.config import Settings
    from integrator.jobs.service import JobService

    from .connector import FeishuConnector, PollReport

log = logging.getLogger(__name__)

EVENT_WINDOW_S = 3 * 86400.0  # Feishu redelivers a failed event for up to about a day
IDLE_WAKE_S = 5.0
REPORT_EVERY_S = 10.0
MAX_EVENT_ATTEMPTS = 8


class FeishuRuntime:
    """One process's connector, state store and event drainer for one ``feishu:`` configuration."""

    def __init__(
        self, settings: Settings, jobs: JobService | None = None, connector: FeishuConnector | None = None
    ) -> None:
        self.settings = settings
        self.cfg: FeishuConfig = settings.section("feishu", FeishuConfig)
        self.webhook = Webhook(
            self.cfg.encrypt_key.get_secret_value(), self.cfg.verification_token.get_secret_value()
        )
        self._jobs = jobs
        self._connector = connector
        self._store: FeishuStore | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, *, jobs: JobService | None = None, connector: FeishuConnector | None = None) -> None:
        """Use this job service or connector instead of building them from the settings."""
        with self._lock:
            self._jobs = jobs or self._jobs
            self._connector = connector or self._connector

    @property
    def connector(self) -> FeishuConnector:
        with self._lock:
            if self._connector is None:
                from .connector import FeishuConnector  # lark_oapi takes seconds to import: only when used

                self._connector = FeishuConnector(self.cfg)
            return self._connector

    @property
    def store(self) -> FeishuStore:
        with self._lock:
            if self._store is None:
                jobs = self.settings.jobs
                self._store = FeishuStore(
                    make_engine(jobs.database_url or default_url(self.settings.data_dir))
                )
            return self._store

    @property
    def jobs(self) -> JobService:
        with self._lock:
            if self._jobs is None:
                from integrator.jobs.service import JobService

                self._jobs = JobService.from_settings(self.settings)
            return self._jobs

    # -- the scheduled pass --------------------------------------------------
    def poll(self, jobs: JobService | None = None) -> PollReport:
        """Search the tables (in poll modes), then write failed jobs back to their records."""
        from .connector import PollReport

        jobs = jobs or self.jobs
        report = self.connector.poll(jobs) if self.cfg.mode in ("poll", "both") else PollReport()
        if report.queued:
            log.info("feishu: queued %d record(s), %d already waiting", report.queued, report.waiting)
        self.report_failures(jobs)
        self.store.prune(EVENT_WINDOW_S)
        return report

    def report_failures(self, jobs: JobService | None = None) -> int:
        return self.connector.report_failures(
            jobs or self.jobs, self.store.reported, self.store.mark_reported
        )

    # -- events ------------------------------------------------------------
    def accept(self, event_id: str, event: dict[str, Any]) -> bool:
        """Store an event for the drainer; False for a duplicate. Fast: no Feishu call."""
        new = self.store.add_event(event_id, event)
        if new:
            self.start()
            self._wake.set()
        return new

    def drain(self, jobs: JobService | None = None) -> int:
        """Handle the events that are due; returns how many were finished."""
        from .client import FeishuError

        jobs = jobs or self.jobs
        finished = 0
        for event_id, event, attempts in self.store.take_due():
            try:
                self.connector.handle_event(event, jobs)
            except Exception as exc:
                retryable = not isinstance(exc, FeishuError) or exc.retryable
                if retryable and attempts < MAX_EVENT_ATTEMPTS:
                    delay = min(300.0, 2.0**attempts)
                    log.warning("feishu: event %s: %s; again in %.0f s", event_id, exc, delay)
                    self.store.retry_event(event_id, delay, str(exc))
                    continue
                log.error("feishu: event %s dropped: %s", event_id, exc)
                self.store.finish_event(event_id, str(exc) or type(exc).__name__)
            else:
                self.store.finish_event(event_id)
            finished += 1
        return finished

    def start(self) -> None:
        """Start the drainer thread (once)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="voxflow-feishu-events", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        reported_at = 0.0
        while not self._stop.is_set():
            self._wake.wait(IDLE_WAKE_S)
            self._wake.clear()
            try:
                while self.drain() and not self._stop.is_set():
                    pass
                if time.monotonic() - reported_at >= REPORT_EVERY_S:
                    reported_at = time.monotonic()
                    self.report_failures()
            except Exception:
                log.exception("feishu: event drainer pass failed; next pass tries again")
