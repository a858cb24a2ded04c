"""Result callbacks as a Voxflow plugin (entry point ``callbacks``): the ``callbacks:`` settings,
the ``callback`` job sink, and the signed audio links it sends (checked instead of an API key)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from integrator.config import Settings
from integrator.plugins import Connector, LinkCheck, SinkFactory

from .config import CALLBACK_SINK, CallbacksConfig, callbacks_of

if TYPE_CHECKING:
    from .signing import LinkSigner


class CallbacksPlugin(Connector):
    name = "callbacks"
    sections: ClassVar[Mapping[str, Any]] = {"callbacks": CallbacksConfig}

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._links: LinkSigner | None = None
        self._lock = threading.Lock()

    @classmethod
    def default_sinks(cls, settings: Settings) -> Mapping[str, dict[str, Any]]:
        return {CALLBACK_SINK: {"type": CALLBACK_SINK}}

    @property
    def links(self) -> LinkSigner:
        """The signer of audio links (its key made on first use, in data_dir/link.key unless configured)."""
        from .signing import LinkSigner

        with self._lock:
            if self._links is None:
                secret = callbacks_of(self.settings).link_secret.get_secret_value()
                self._links = LinkSigner.from_config(secret, self.settings.data_dir / "link.key")
            return self._links

    def sink_types(self) -> Mapping[str, SinkFactory]:
        def callback(name: str, options: dict[str, Any]) -> Any:
            # Imported when first built: httpx stays out of processes that never call back.
            from .callback import CallbackSender, CallbackSink

            return CallbackSink(name, self.settings, CallbackSender(callbacks_of(self.settings)), self.links)

        return {CALLBACK_SINK: callback}

    def link_check(self) -> LinkCheck | None:
        return lambda path, query: self.links.check(path, query)
