"""Feeds across machines: workers publish a job's messages to Redis pub/sub (``voxflow:feed:<channel>``),
and a bridge thread in the serving process posts them into its hub, where listeners are."""

from __future__ import annotations

import json
import logging
import threading

from connectors.feeds.hub import FeedHub
from connectors.feeds.writer import Message, Writer
from integrator.jobs.abc import FeedPublisher, FeedWriter

log = logging.getLogger(__name__)

REDIS_PREFIX = "voxflow:feed:"


def _frame(job_id: str, message: Message) -> bytes:
    head = job_id.encode()
    if isinstance(message, bytes):
        return b"B" + bytes([len(head)]) + head + message
    return b"J" + bytes([len(head)]) + head + json.dumps(message, ensure_ascii=False).encode()


def _unframe(data: bytes) -> tuple[str, Message]:
    size = data[1]
    job_id = data[2 : 2 + size].decode()
    body = data[2 + size :]
    return job_id, (body if data[:1] == b"B" else json.loads(body))


class RedisFeedPublisher(FeedPublisher):
    """For workers on other machines: each message goes to ``voxflow:feed:<channel>``."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def open(self, channel: str, job_id: str, *, sample_rate: int, voice: str) -> FeedWriter:
        key = REDIS_PREFIX + channel

        def send(message: Message) -> None:
            try:
                self.client.publish(key, _frame(job_id, message))
            except Exception as exc:  # live audio is best effort: the job itself carries on
                log.warning("feed %s: publish failed: %s", channel, exc)

        writer = Writer(send, job_id)
        writer.begin(sample_rate, voice)
        return writer

    def close(self) -> None:
        self.client.close()


class RedisFeedBridge:
    """A thread in the serving process: feed messages from Redis into the local hub."""

    def __init__(self, hub: FeedHub, url: str) -> None:
        self.hub = hub
        self.url = url
        self._stop = threading.Event()
        self.subscribed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voxflow-feed-bridge", daemon=True)

    def start(self) -> RedisFeedBridge:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import redis

        while not self._stop.is_set():
            try:
                client = redis.Redis.from_url(self.url)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(REDIS_PREFIX + "*")
                self.subscribed.set()
                while not self._stop.is_set():
                    item = pubsub.get_message(timeout=0.5)
                    if item is None:
                        continue
                    channel = item["channel"].decode().removeprefix(REDIS_PREFIX)
                    job_id, message = _unframe(item["data"])
                    self.hub.post(channel, job_id, message)
                pubsub.close()
                client.close()
            except Exception as exc:
                self.subscribed.clear()
                log.warning("feed bridge: %s; reconnecting", exc)
                self._stop.wait(1.0)
