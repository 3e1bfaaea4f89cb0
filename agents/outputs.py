"""Step outputs written as files: the recaps officers open in Excel."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> None:
    """Atomically: never a half-written recap. BOM, because Excel on Windows then reads it as UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)
