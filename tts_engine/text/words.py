"""Chinese word segmentation: jieba, loaded once and quietly."""

from __future__ import annotations

import logging
from functools import cache
from types import ModuleType


@cache
def jieba() -> ModuleType:
    """jieba with its dictionary loaded. jieba logs "Building prefix dict…" to stderr at DEBUG
    when it loads; every user in this package gets it here, so that chatter never shows."""
    import jieba as module

    module.setLogLevel(logging.WARNING)
    module.initialize()
    return module
