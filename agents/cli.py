"""The `sigap` command line.

Bad input (unknown SOP id, unreadable or invalid config, bad database URL) prints one line to
stderr and exits 2; the line names the file, key or argument.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from sop_registry.errors import InputError
from sop_registry.loader import Registry, load_registry

from . import texts
from .config import Config, config_path_from, load_config
from .sop_view import sop_as_dict, sop_text

EXIT_BAD_INPUT = 2


class Context:
    def __init__(self, config_path: Path | None, lang: str | None) -> None:
        self._config_arg = config_path
        self._lang = lang
        self._config: Config | None = None
        self._registry: Registry | None = None

    def config(self) -> Config:
        if self._config is None:
            path, _ = config_path_from(self._config_arg)
            self._config = load_config(path)
        return self._config

    def optional_config(self) -> Config | None:
        """The config if one is given or installed; SOP commands work without one."""
        path, explicit = config_path_from(self._config_arg)
        if not explicit and not path.exists():
            return None
        return self.config()

    def registry(self) -> Registry:
        if self._registry is None:
            config = self.optional_config()
            self._registry = load_registry(config.sop_dirs if config else ())
            if config is not None:
                config.check_against(self._registry)
        return self._registry

    @property
    def lang(self) -> str:
        if self._lang:
            return self._lang
        try:
            config = self.optional_config()
        except InputError:  # the command itself reports a broken config; the language falls back
            return "id"
        return config.office.language if config else "id"


def bad_input_exits(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            click.echo(f"sigap: error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


def _json_out(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


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


# --- sop ---------------------------------------------------------------------------------------


@cli.group()
def sop() -> None:
    """The SOP registry: every SOP the agents and cases work from."""


@sop.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of full SOP objects.")
@click.pass_obj
@bad_input_exits
def sop_list(obj: Context, as_json: bool) -> None:
    """List the SOPs in the registry."""
    registry = obj.registry()
    if as_json:
        _json_out([sop_as_dict(s) for s in registry.values()])
        return
    t = texts.get(obj.lang)
    click.echo(f"{t['col_id']:<28} {t['col_steps']:>6}  {t['col_auto']:>4}  {t['col_title']}")
    for item in registry.values():
        automated = sum(1 for s in item.steps if s.automation is not None)
        click.echo(f"{item.id:<28} {len(item.steps):>6}  {automated:>4}  {item.title}")
    click.echo(t["sop_count"].format(n=len(registry)))


@sop.command("show")
@click.argument("sop_id")
@click.option("--json", "as_json", is_flag=True, help="Print the SOP as a JSON object.")
@click.pass_obj
@bad_input_exits
def sop_show(obj: Context, sop_id: str, as_json: bool) -> None:
    """Show one SOP with its steps and time standards."""
    item = obj.registry()[sop_id]
    if as_json:
        _json_out(sop_as_dict(item))
    else:
        click.echo(sop_text(item, obj.lang))


# --- config --------------------------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """The operator's config file."""


@config_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the validated config, secrets masked.")
@click.pass_obj
@bad_input_exits
def config_check(obj: Context, as_json: bool) -> None:
    """Validate the config file (and its CSV imports) against the schema and the SOP registry."""
    config = obj.config()
    obj.registry()  # cross-checks agent overrides against the SOPs
    if as_json:
        data = config.model_dump(mode="json")
        data["database"]["url_effective"] = config.database_url_redacted()
        _json_out(data)
        return
    t = texts.get(obj.lang)
    office = config.office
    targets = config.targets
    click.echo(t["config_ok"].format(path=config.source_path))
    click.echo(t["config_office"].format(name=office.name, tz=office.timezone, label=office.zone_label))
    click.echo(t["config_db"].format(url=config.database_url_redacted()))
    click.echo(
        t["config_targets"].format(
            websites=len(targets.websites),
            servers=len(targets.servers),
            links=len(targets.links),
            devices=len(targets.snmp_devices),
            channels=len(config.notify.channels),
        )
    )


# --- db ------------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """The SOP ledger database."""


@db.command("upgrade")
@click.pass_obj
@bad_input_exits
def db_upgrade(obj: Context) -> None:
    """Apply database migrations (the service also does this at start)."""
    from sop_registry.ledger import connect, upgrade

    config = obj.config()
    engine = connect(config.database_url())
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    t = texts.get(obj.lang)
    click.echo(t["db_upgraded"].format(url=config.database_url_redacted(), before=before or "-", after=after))


@db.command("status")
@click.pass_obj
@bad_input_exits
def db_status(obj: Context) -> None:
    """Show the ledger's schema revision and whether migrations are pending."""
    from sop_registry.ledger import connect, current_revision, head_revision

    config = obj.config()
    engine = connect(config.database_url())
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    t = texts.get(obj.lang)
    click.echo(t["db_status"].format(current=current or "-", head=head))
    if current != head:
        sys.exit(1)


def main() -> None:
    cli(prog_name="sigap")


if __name__ == "__main__":
    main()
