"""What every `sigap` command shares, the CLI's and each kind's `sigap check`: bad input -> one line
naming the file, key or argument and exit 2; JSON output; one line per target or a table."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from sop_registry.errors import InputError

EXIT_BAD_INPUT = 2


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


def emit(dicts: list[dict], as_json: bool, table: Callable[[list[dict]], str]) -> None:
    """`sigap check ...`: one JSON object per line with --json, else the table."""
    if as_json:
        for d in dicts:
            click.echo(json.dumps(d, ensure_ascii=False, default=str))
        return
    click.echo(table(dicts))
