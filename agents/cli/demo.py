"""`sigap demo`: Sigap on this machine in a minute, nothing to configure and nothing left behind.

Sample OPD sites bundled with the package (agents/demo/: fresh, less active, stale, down) and a link
are served on loopback; a config for them is written to a temporary state directory with a SQLite
ledger; the weekly crawl and a link check run once at once; then `sigap serve` runs as it would in
an office (the link checked every minute) with the console on 127.0.0.1 and a one-time admin
password printed. Ctrl-C stops it all and removes the directory. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import yaml

from .common import Context, bad_input_exits

DEMO_SOPS = ["kaltim-monitoring-website", "polman-15"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_config(state: Path, sites: Any, http_port: int, closed_port: int) -> dict[str, Any]:
    from ..demo import SITES

    return {
        "office": {
            "name": "Dinas Komunikasi dan Informatika Kabupaten Demo",
            "short_name": "Diskominfo Demo",
            "timezone": "Asia/Makassar",
            "kepala_bidang": "Kepala Bidang Demo",
        },
        "database": {"url": f"sqlite:///{state / 'ledger.db'}"},
        "state_dir": str(state / "state"),
        "sops": DEMO_SOPS,
        "http": {"enabled": True, "listen": f"127.0.0.1:{http_port}"},
        "web": {"crawl": {"timeout_s": 5, "retries": 0, "site_budget_s": 20}},
        "targets": {
            "websites": [
                {"id": key, "opd": opd, "url": sites.url(key), "owned_by_office": True}
                for key, (opd, _what) in SITES.items()
            ],
            "links": [
                {
                    "id": "link-dinkes",
                    "opd": "Dinas Kesehatan",
                    "host": "127.0.0.1",
                    "method": "tcp",
                    "port": sites.port,
                    "contracted_down_mbps": 50,
                    "contracted_up_mbps": 20,
                    "provider": "Penyedia Demo",
                },
                {  # nothing listens there: down after a few minutes, and a case opens
                    "id": "link-dishub",
                    "opd": "Dinas Perhubungan",
                    "host": "127.0.0.1",
                    "method": "tcp",
                    "port": closed_port,
                    "contracted_down_mbps": 20,
                    "contracted_up_mbps": 10,
                    "provider": "Penyedia Demo",
                },
            ],
        },
    }


def _first_runs(config: Any, registry: Any, engine: Any) -> list[str]:
    """The weekly crawl and one link round now, as `sigap run SOP --once` runs them."""
    from ..runner import run_step
    from ..service.jobs import build_jobs

    lines = []
    for job in build_jobs(registry, config):
        if job.sop_id not in DEMO_SOPS:
            continue
        shared = [(registry[s], n) for s, n in job.shared]
        result = asyncio.run(
            run_step(config, engine, registry[job.sop_id], job.step_no, registry=registry, shared=shared)
        )
        lines.append(f"  {job.sop_id}:{job.step_no} {job.check}: {result.status} ({result.summary or '-'})")
    return lines


@click.command("demo")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Console port on 127.0.0.1 (default: a free one).",
)
@click.option("--keep", is_flag=True, help="Keep the temporary directory (its path is printed).")
@click.pass_obj
@bad_input_exits
def demo(obj: Context, port: int, keep: bool) -> None:
    """Try Sigap here: sample OPD sites and links on loopback, the console, a one-time admin password."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from sop_registry.ledger import connect, upgrade
    from sop_registry.loader import load_registry

    from ..config.load import load_config
    from ..console import accounts
    from ..demo import SITES, DemoSites
    from ..service import logs
    from ..service.serve import Service

    root = Path(tempfile.mkdtemp(prefix="sigap-demo-"))
    sites = DemoSites().start()
    try:
        http_port = port or _free_port()
        path = root / "sigap.yaml"
        path.write_text(yaml.safe_dump(demo_config(root, sites, http_port, _free_port()), sort_keys=False))
        config = load_config(path)
        registry = load_registry()  # the bundled SOPs: the demo reads no operator config
        config.check_against(registry)
        engine = connect(config.database_url())
        try:
            upgrade(engine)
            password = secrets.token_urlsafe(12)
            with Session(engine) as session, session.begin():
                accounts.add_user(
                    session, accounts.NewUser("admin", "admin", "Admin Demo"), password, datetime.now(UTC)
                )
            click.echo("Sigap demo")
            click.echo(f"  sites on http://127.0.0.1:{sites.port}/: " + ", ".join(
                f"{key} ({what})" for key, (_opd, what) in SITES.items()))  # fmt: skip
            click.echo("  first runs:")
            for line in _first_runs(config, registry, engine):
                click.echo(line)
            click.echo(f"  console: http://127.0.0.1:{http_port}/")
            click.echo("  user: admin")
            click.echo(f"  password (one-time, this run only): {password}")
            click.echo(f"  state: {root}{'' if keep else ' (removed on exit)'}")
            click.echo("  Ctrl-C stops the demo.", nl=True)
            sys.stdout.flush()
            logs.setup(logs.secret_values(config))
            code = asyncio.run(Service(config, registry, engine).run())
        finally:
            engine.dispose()
    finally:
        sites.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    sys.exit(code)
