"""A text check as a deployment would plug one in (``policy.checks``), and settings using it."""

from __future__ import annotations

from pathlib import Path

from integrator.config import PolicyConfig, Settings
from tts_engine.policy import Refusal

DENY = "# broadcast rules\nbadword\n[violence]\n杀人\n/kill\\s+(him|her)/\n"
CHECK = "tests.integrator.policy_helpers:no_secrets"


def no_secrets(text: str) -> Refusal | None:
    """Refuses texts naming the unannounced product."""
    return Refusal("secrets", "the text names an unannounced product") if "ProjectX" in text else None


def with_policy(settings: Settings, folder: Path, checks: list[str] | None = None) -> Settings:
    """``settings`` with a deny list (written to ``folder``) and the ``no_secrets`` check."""
    deny = folder / "deny.txt"
    deny.write_text(DENY, encoding="utf-8")
    policy = PolicyConfig(deny_list=deny, checks=[CHECK] if checks is None else checks)
    return settings.model_copy(update={"policy": policy})
