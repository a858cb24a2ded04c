"""The streaming service behind ``voxflow serve``: HTTP, OpenAI-compatible HTTP, WebSocket and a web page."""

from .factory import create_app

__all__ = ["create_app"]
