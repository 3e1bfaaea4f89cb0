"""The `sigap` command line.

Bad input (unknown SOP id, unreadable or invalid config, bad database URL) prints one line to
stderr and exits 2; the line names the file, key or argument.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from .common import Context

# name -> (module, attribute, one line for `sigap --help`). Each command's module (and what it pulls
# in: SQLAlchemy, WeasyPrint, pysnmp, the crawler) is imported only when that command runs; the help
# line is here so `sigap --help` imports none of them (it took 2.0 s when every module loaded).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "case": ("cases", "case", "Cases: SOP procedures in progress, with the deadline of each step."),
    "check": ("check", "check", "Run one check now and print what it measured (nothing is recorded)."),
    "config": ("config_cmd", "config_group", "The operator's config file."),
    "db": ("db", "db", "The SOP ledger database."),
    "demo": (
        "demo",
        "demo",
        "Try Sigap here: sample OPD sites and links on loopback, the console, a one-time admin password.",
    ),
    "login": (
        "login",
        "login",
        "Log in as a console user: what the CLI does is then that user's, within its role.",
    ),
    "logout": ("login", "logout", "End the CLI's login."),
    "whoami": ("login", "whoami", "Who the CLI acts as: the logged-in user, or nobody (exit 1)."),
    "maintenance": (
        "maintenance",
        "maintenance",
        "Maintenance windows: notifications held back, measurements go on.",
    ),
    "notify": ("notify", "notify", "The notification outbox."),
    "report": ("report", "report", "The weekly monitoring report (SOP kaltim-monitoring-website steps 2-4)."),
    "run": ("run", "run_cmd", "Run an SOP's agent now, record the step run and open/resolve cases."),
    "serve": (
        "run",
        "serve_cmd",
        "Run every agent on its SOP's schedule, the SLA clock and the notifications (the systemd service).",
    ),
    "sop": ("sop", "sop", "The SOP registry: every SOP the agents and cases work from."),
    "user": ("user", "user", "The console's users: roles, passwords and API tokens."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when one of them is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _help = COMMANDS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    # A directory or unreadable file is the config loader's one-line error (exit 2), not click's
    # four-line usage block.
    type=click.Path(path_type=Path),
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


def main() -> None:
    cli(prog_name="sigap")


if __name__ == "__main__":
    main()
