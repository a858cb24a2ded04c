"""The connector's own durable state, in the job database: received events and reported failures.

Events are stored before the webhook answers, keyed by ``event_id``: that is both the duplicate
check (Feishu redelivers for hours, across our restarts) and the inbox a background thread
drains, so the webhook answers within Feishu's 3 s however slow Feishu's API is for us.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import JSON, Engine, Float, Integer, String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

LEASE_S = 60.0  # an event taken by a drainer that died is taken again after this


class _Base(DeclarativeBase):
    pass


class EventRow(_Base):
    __tablename__ = "voxflow_feishu_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[float] = mapped_column(Float, index=True)
    received_at: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class ReportRow(_Base):
    """A failed job whose reason has been written to its record (or had nowhere to go)."""

    __tablename__ = "voxflow_feishu_reports"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reported_at: Mapped[float] = mapped_column(Float)


class FeishuStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        _Base.metadata.create_all(engine)

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- events ------------------------------------------------------------
    def add_event(self, event_id: str, payload: dict[str, Any]) -> bool:
        """Store a new event; False when this event_id was seen before."""
        now = time.time()
        try:
            with self._session() as s, s.begin():
                s.add(
                    EventRow(
                        event_id=event_id,
                        payload=payload,
                        state="pending",
                        attempts=0,
                        due_at=now,
                        received_at=now,
                    )
                )
            return True
        except IntegrityError:
            return False

    def take_due(self, limit: int = 20) -> list[tuple[str, dict[str, Any], int]]:
        """Pending events whose time has come, leased to this caller: ``(event_id, payload, attempts)``."""
        now = time.time()
        taken = []
        with self._session() as s, s.begin():
            rows = s.scalars(
                select(EventRow)
                .where(EventRow.state == "pending", EventRow.due_at <= now)
                .order_by(EventRow.received_at)
                .limit(limit)
            ).all()
            for row in rows:
                event_id, payload, attempts, due_at = row.event_id, row.payload, row.attempts, row.due_at
                # Conditional: another drainer (replica) that took it first wins.
                won = s.execute(
                    update(EventRow)
                    .where(EventRow.event_id == event_id, EventRow.due_at == due_at)
                    .values(due_at=now + LEASE_S, attempts=attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    taken.append((event_id, payload, attempts + 1))
        return taken

    def finish_event(self, event_id: str, error: str | None = None) -> None:
        """Done with an event: handled, or failed for good with ``error``."""
        with self._session() as s, s.begin():
            s.execute(
                update(EventRow)
                .where(EventRow.event_id == event_id)
                .values(state="failed" if error else "done", error=error)
            )

    def retry_event(self, event_id: str, delay_s: float, error: str) -> None:
        with self._session() as s, s.begin():
            s.execute(
                update(EventRow)
                .where(EventRow.event_id == event_id)
                .values(due_at=time.time() + delay_s, error=error)
            )

    def pending_events(self) -> int:
        with self._session() as s:
            return len(s.scalars(select(EventRow.event_id).where(EventRow.state == "pending")).all())

    def event(self, event_id: str) -> EventRow | None:
        with self._session() as s:
            return s.get(EventRow, event_id)

    def prune(self, older_than_s: float) -> int:
        """Forget finished events received before the window in which Feishu may still redeliver them."""
        with self._session() as s, s.begin():
            result = s.execute(
                delete(EventRow).where(
                    EventRow.state != "pending", EventRow.received_at < time.time() - older_than_s
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # -- failures written back -----------------------------------------------
    def reported(self, job_id: str) -> bool:
        with self._session() as s:
            return s.get(ReportRow, job_id) is not None

    def mark_reported(self, job_id: str) -> None:
        try:
            with self._session() as s, s.begin():
                s.add(ReportRow(job_id=job_id, reported_at=time.time()))
        except IntegrityError:
            pass
