"""Live feeds: ``WS /v1/feeds/{channel}``, where every listener hears a job while it is synthesized.

One synthesis, many listeners: the job runner publishes each job that names a ``feed`` once
(a ``FeedPublisher``), and the channel fans the messages out. Messages are those of
``/v1/tts/stream`` (``start``, ``progress``, binary s16le PCM, ``done`` or ``error``, with the job
id as ``request_id``), after a first ``{"type": "subscribed", "channel"}``.

* A late joiner hears the channel's replay window first (replay.py): the current narration from
  its start, or its last ``feeds.replay_s`` seconds of audio from a sentence start, and a narration
  that ended less than ``replay_s`` ago; then it follows live.
* A slow listener is dropped, not waited for: each has a bounded queue (listener.py), and one that
  falls that far behind live is closed with 1013 and its reason, while the others carry on.
* Jobs on one channel are heard one after another: a job that starts while another plays waits
  its turn, its audio kept (up to ``feeds.max_waiting_bytes``) (hub.py).

Workers in the serving process publish to the process's :class:`FeedHub` directly; workers on
other machines (``jobs.backend: redis``) publish through Redis pub/sub, which a bridge thread in
the serving process feeds into its hub (redis_transport.py, process.py). The route: route.py;
the plugin that hands all this to a Voxflow process: plugin.py.
"""

from connectors.feeds.hub import FeedHub
from connectors.feeds.listener import Listener
from connectors.feeds.process import ProcessFeeds, redis_url
from connectors.feeds.redis_transport import REDIS_PREFIX, RedisFeedBridge, RedisFeedPublisher
from connectors.feeds.replay import Replay
from connectors.feeds.route import CHANNEL, CLOSE_TOO_SLOW, ROUTE, install, router
from connectors.feeds.writer import Message

__all__ = [
    "CHANNEL",
    "CLOSE_TOO_SLOW",
    "REDIS_PREFIX",
    "ROUTE",
    "FeedHub",
    "Listener",
    "Message",
    "ProcessFeeds",
    "RedisFeedBridge",
    "RedisFeedPublisher",
    "Replay",
    "install",
    "redis_url",
    "router",
]
