"""Reading the config file: relative paths, the servers CSV, validation errors with file and key path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from sop_registry.errors import InputError
from sop_registry.yamlio import format_validation_error, load_yaml_file

from .base import DEFAULT_CONFIG_PATH
from .model import Config
from .targets import read_servers_csv


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Relative paths in the file are relative to the file, not to wherever sigap was started."""

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            return str(base / value)
        return value

    if "state_dir" in data:
        data["state_dir"] = fix(data["state_dir"])
    if isinstance(data.get("sop_dirs"), list):
        data["sop_dirs"] = [fix(v) for v in data["sop_dirs"]]
    targets = data.get("targets")
    if isinstance(targets, dict) and "servers_csv" in targets:
        targets["servers_csv"] = fix(targets["servers_csv"])
    tls = data.get("tls")
    if isinstance(tls, dict) and tls.get("ca_file"):
        tls["ca_file"] = fix(tls["ca_file"])
    office = data.get("office")
    if isinstance(office, dict) and "logo" in office:
        office["logo"] = fix(office["logo"])
    smtp = (data.get("report") or {}).get("smtp") if isinstance(data.get("report"), dict) else None
    if isinstance(smtp, dict) and smtp.get("ca_file"):
        smtp["ca_file"] = fix(smtp["ca_file"])



def config_path_from(cli_value: Path | None) -> tuple[Path, bool]:
    """(path, explicit): --config, else $SIGAP_CONFIG, else the default. Explicit paths must exist."""
    if cli_value is not None:
        return cli_value, True
    if os.environ.get("SIGAP_CONFIG"):
        return Path(os.environ["SIGAP_CONFIG"]), True
    return DEFAULT_CONFIG_PATH, False


def load_config(path: Path) -> Config:
    if not path.exists():
        raise InputError(f"{path}: config file not found (use --config or SIGAP_CONFIG)")
    data = load_yaml_file(path)
    if data is None:
        raise InputError(f"{path}: empty config (needs at least office and database)")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    base = path.resolve().parent
    _resolve_paths(data, base)
    targets = data.get("targets")
    if isinstance(targets, dict) and targets.get("servers_csv"):
        from_csv = read_servers_csv(Path(targets["servers_csv"]))
        targets["servers"] = list(targets.get("servers") or []) + from_csv
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_validation_error(str(path), exc)) from None
    config._source_path = path
    return config

