"""The text policy a process screens texts with, composed from ``policy:`` settings.

The deny list (:mod:`integrator.deny_list`) comes first, then each named check: an entry point
of the ``voxflow.text_checks`` group (a package adds one the way connectors do) or a
``module:function`` path. A check takes the text and returns None, a
:class:`tts_engine.policy.Refusal` or a ``(rule, reason)`` pair. The engine applies the policy
(:meth:`tts_engine.policy.TextPolicy.screen`) to every text it prepares.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from importlib.metadata import entry_points

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from tts_engine.policy import TextCheck, TextPolicy

from .config import ConfigError, PolicyConfig
from .deny_list import DenyList, DenyListError

CHECKS_GROUP = "voxflow.text_checks"


class PolicyError(ConfigError):
    """Policy settings that cannot be used (a bad deny list, a check that cannot be found)."""


def text_policy(cfg: PolicyConfig) -> TextPolicy:
    """The policy ``cfg`` describes; raises PolicyError naming what is wrong, at start-up."""
    checks: list[TextCheck] = []
    if cfg.deny_list is not None:
        try:
            checks.append(DenyList.read(cfg.deny_list))
        except DenyListError as exc:
            raise PolicyError(f"policy.deny_list: {exc}") from None
    checks += [load_check(spec) for spec in cfg.checks]
    return TextPolicy(checks)


def load_check(spec: str) -> TextCheck:
    """The callable ``spec`` names: ``module:function`` (dots for attributes), else an entry point."""
    if ":" in spec:
        module, _, attr = spec.partition(":")
        try:
            found: object = importlib.import_module(module)
            for part in attr.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError) as exc:
            raise PolicyError(f"policy.checks: cannot load {spec!r}: {exc}") from None
    else:
        named = {ep.name: ep for ep in entry_points(group=CHECKS_GROUP)}
        if spec not in named:
            known = ", ".join(sorted(named)) or "none installed"
            raise PolicyError(
                f"policy.checks: {spec!r} is neither module:function nor an entry point of "
                f"{CHECKS_GROUP} ({known})"
            )
        try:
            found = named[spec].load()
        except Exception as exc:
            raise PolicyError(f"policy.checks: entry point {spec!r} failed to load: {exc}") from None
    if not callable(found):
        raise PolicyError(f"policy.checks: {spec!r} is not callable")
    check: TextCheck = found
    return check


class RefusalMetrics(Collector):
    """``voxflow_text_refused_total{rule}``: texts the policy refused, read from the policy itself
    when scraped, so refusals on every entry point of the process (HTTP, WebSocket, jobs) count."""

    def __init__(self, policy: TextPolicy) -> None:
        self.policy = policy

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "voxflow_text_refused",
            "Texts the text policy refused, by rule (nothing was synthesized)",
            labels=["rule"],
        )
        for rule, count in sorted(self.policy.refused().items()):
            family.add_metric([rule], count)
        yield family
