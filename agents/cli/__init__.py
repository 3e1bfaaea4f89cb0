"""The `sigap` command line.

Bad input (unknown SOP id, unreadable or invalid config, bad database URL) prints one line to
stderr and exits 2; the line names the file, key or argument.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import kinds
from . import cases as cli_cases
from . import config_cmd, db, run
from . import maintenance as cli_maintenance
from . import notify as cli_notify
from . import report as cli_report
from . import sop as cli_sop
from .common import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: $SIGAP_CONFIG, else /etc/sigap/sigap.yaml).",
)
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    help="Language of what officers read (default: office.language).",
)
@click.version_option(package_name="sigap")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, lang: str | None) -> None:
    """Sigap: the machine-checkable steps of Diskominfo SOPs as scheduled agents, with an SOP ledger."""
    ctx.obj = Context(config_path, lang)


@cli.group()
def check() -> None:
    """Run one check now and print what it measured (nothing is recorded)."""


# Each kind's `sigap check <name>` comes from its module (agents/kinds/), not from here.
for _spec in kinds.KINDS.values():
    if _spec.check_command is not None:
        check.add_command(_spec.check_command)

for _group in (
    cli_sop.sop,
    config_cmd.config_group,
    db.db,
    run.run_cmd,
    run.serve_cmd,
    cli_cases.case,
    cli_maintenance.maintenance,
    cli_notify.notify,
    cli_report.report,
):
    cli.add_command(_group)


def main() -> None:
    cli(prog_name="sigap")


if __name__ == "__main__":
    main()

