"""The connector's job sinks: ``feishu_bitable`` writes a record's audio back, ``feishu_chat`` posts it.

A Feishu error that retrying cannot fix (a missing column, no permission) is raised as
:class:`FeishuRejected`, a ``DeliveryRejected``: the job runner fails the job for good instead
of retrying it; everything else is left for the runner's backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from integrator.jobs.abc import DeliveryRejected, Receipt, Sink
from integrator.jobs.artifacts import audio_duration_ms
from integrator.jobs.job import Job

from . import media
from .bitable import read_minutes
from .chat import message_uuid
from .client import FeishuError
from .connector import RECORD_NOT_FOUND, FeishuConnector, RecordTarget


class FeishuRejected(DeliveryRejected):
    """Feishu refused the delivery for a reason retrying cannot fix."""

    code = "feishu_rejected"


def _permanent(action: Callable[[], Receipt]) -> Receipt:
    try:
        return action()
    except FeishuError as exc:
        if exc.retryable:
            raise
        raise FeishuRejected(str(exc)) from exc


class BitableSink(Sink):
    """Uploads the audio into its record: attachment (replacing any), status and duration in one update."""

    def __init__(self, key: str, connector: Callable[[], FeishuConnector]) -> None:
        self.key = key
        self._connector = connector

    def deliver(self, job: Job, artifact: Path, params: dict[str, Any]) -> Receipt:
        return _permanent(lambda: self._deliver(job, artifact))

    def _deliver(self, job: Job, artifact: Path) -> Receipt:
        connector = self._connector()
        target = RecordTarget.of(job)
        table = connector.cfg.table(target.app_token, target.table_id) if target else None
        if target is None or table is None:
            raise FeishuRejected(f"job {job.id} names no configured Feishu table")
        try:
            fields = connector.bitable.get(table, target.record_id)
        except FeishuError as exc:
            if exc.code == RECORD_NOT_FOUND:
                return Receipt(self.key, "", {"skipped": "record deleted"})
            raise
        m = read_minutes(connector.cfg, table, target.record_id, fields)
        if m.hash != target.hash:
            # Edited since the job was made: its own job (event, or the next poll) brings the new audio.
            return Receipt(self.key, "", {"skipped": "record changed", "record_id": target.record_id})
        if m.up_to_date and m.status == connector.cfg.status.done:
            return Receipt(self.key, target.record_id, {"skipped": "already delivered"})
        seconds = audio_duration_ms(job.artifact, artifact) / 1000.0
        try:
            token = connector.bitable.deliver(m, artifact.read_bytes(), seconds)
        except FeishuError as exc:
            if not exc.retryable:  # the reason belongs in the record too, where people look
                reason = exc.reason
                _try(lambda: connector.bitable.fail(table, target.record_id, reason))
            raise
        return Receipt(self.key, target.record_id, {"file_token": token, "duration_s": round(seconds, 2)})


class ChatSink(Sink):
    """Posts the audio as a voice message to ``params["chat_ids"]`` (or ``params["chat_id"]``)."""

    def __init__(self, key: str, connector: Callable[[], FeishuConnector]) -> None:
        self.key = key
        self._connector = connector

    def deliver(self, job: Job, artifact: Path, params: dict[str, Any]) -> Receipt:
        chats = [str(c) for c in params.get("chat_ids") or [params.get("chat_id")] if c]
        if not chats:
            raise FeishuRejected("feishu_chat needs chat_ids")
        return _permanent(lambda: self._post(job, artifact, chats))

    def _post(self, job: Job, artifact: Path, chats: list[str]) -> Receipt:
        voice = self._connector().chat
        data, ms = media.voice_message(artifact)
        name = f"voxflow-{job.id}.opus"
        # The uuid comes from the job: a retried delivery never posts a chat's message twice.
        ids = [voice.post(chat, data, ms, name, message_uuid(job.id, chat)) for chat in chats]
        return Receipt(self.key, ",".join(ids), {"chats": chats, "duration_ms": ms})


def _try(action: Callable[[], None]) -> None:
    try:
        action()
    except FeishuError:
        pass  # the job's own error still says what went wrong
