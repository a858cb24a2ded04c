"""``voxflow feishu …``: check the setup, subscribe to events, poll once, or run the fake Feishu."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from integrator.cli_support import ConfigOption, err

if TYPE_CHECKING:
    from integrator.config import Settings

    from .connector import FeishuConnector

app = typer.Typer(no_args_is_help=True, help="Feishu (Lark) Bitable connector.")
out = Console()


def _connector(config: Path | None) -> tuple[Settings, FeishuConnector]:
    from integrator.config import ConfigError
    from integrator.plugins import load_installed_settings

    from .config import FeishuConfig
    from .connector import FeishuConnector

    try:
        settings = load_installed_settings(config)
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    return settings, FeishuConnector(settings.section("feishu", FeishuConfig))


@app.command()
def check(config: ConfigOption = None) -> None:
    """Validate credentials, tables and columns, and list what the next poll would queue. Writes nothing."""
    from .check import check as run_check

    _, connector = _connector(config)
    problems, tables = run_check(connector)
    for problem in problems:
        err.print(f"[bold red]✗[/] {problem}", highlight=False)
    if problems:
        raise typer.Exit(1)
    out.print(f"[green]✓[/] credentials of app {connector.cfg.app_id}")
    failed = False
    for result in tables:
        name = result.table.key + (f" (view {result.table.view_id})" if result.table.view_id else "")
        if not result.ok:
            failed = True
            for problem in result.problems:
                err.print(f"[bold red]✗[/] {name}: {problem}", highlight=False)
            continue
        out.print(
            f"[green]✓[/] {name}: columns and types fine; {len(result.pending)} record(s) to read next"
        )
        if result.pending:
            listing = Table("record", "characters", "voice", "speed", "status", "starts with")
            for m in result.pending:
                listing.add_row(
                    m.record_id,
                    str(len(m.text)),
                    m.voice or "default",
                    m.speed_text or "1",
                    m.status or "(empty)",
                    m.text[:40].replace("\n", " "),
                )
            out.print(listing)
    if failed:
        raise typer.Exit(1)


@app.command()
def subscribe(config: ConfigOption = None) -> None:
    """Subscribe the app to record-changed events of every configured base (needed for events mode)."""
    from .client import FeishuError

    _, connector = _connector(config)
    for app_token in dict.fromkeys(t.app_token for t in connector.cfg.tables):
        try:
            connector.bitable.subscribe(app_token)
        except FeishuError as exc:
            err.print(f"[bold red]✗[/] {app_token}: {exc}", highlight=False)
            raise typer.Exit(1) from None
        out.print(f"[green]✓[/] subscribed to {app_token}")


@app.command()
def poll(config: ConfigOption = None) -> None:
    """Queue jobs for the records that need audio now (what the feishu-poll schedule does)."""
    from integrator.services import compose

    from .runtime import FeishuRuntime

    settings, connector = _connector(config)
    if not connector.cfg.enabled:
        err.print("[bold red]error:[/] set feishu.enabled: true first (it adds the job sinks)")
        raise typer.Exit(2)
    services = compose(settings)  # `voxflow feishu poll`'s composition step: the job sinks included
    jobs = services.job_service()
    try:
        report = FeishuRuntime(services.settings, jobs=jobs, connector=connector).poll(jobs)
    finally:
        jobs.close()
        services.close()
    out.print(
        f"{report.records} record(s): {report.queued} queued, {report.waiting} already waiting, "
        f"{report.failed} failed"
    )


@app.command()
def fake(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 9100,
    webhook: Annotated[str | None, typer.Option(help="Deliver record-changed events to this URL.")] = None,
) -> None:
    """Run the fake Feishu Open API on loopback with a demo table, to try the connector without Feishu."""
    from .fake import DEMO_APP, FakeFeishu, seed_demo

    fake_feishu = FakeFeishu(encrypt_key="demo-encrypt-key", verification_token="demo-token")
    url = fake_feishu.start(port=port)
    if webhook:
        fake_feishu.subscriptions.add(DEMO_APP)  # the demo records' creation fires events too
    app_token, table_id = seed_demo(fake_feishu)
    out.print(f"fake Feishu at {url}; put this in config.yaml:\n")
    out.print(
        f"feishu:\n  enabled: true\n  mode: {'both' if webhook else 'poll'}\n  domain: {url}\n"
        f"  app_id: {fake_feishu.app_id}\n  app_secret: {fake_feishu.app_secret}\n"
        f"  encrypt_key: {fake_feishu.encrypt_key}\n  verification_token: {fake_feishu.verification_token}\n"
        f"  poll_interval_s: 5\n  tables:\n    - {{app_token: {app_token}, table_id: {table_id}}}\n",
        highlight=False,
        markup=False,
    )
    try:
        while True:
            time.sleep(1)
            if webhook:
                fake_feishu.deliver_events(webhook)
    except KeyboardInterrupt:
        fake_feishu.stop()
