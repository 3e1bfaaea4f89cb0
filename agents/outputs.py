"""Step outputs written as files: the recaps officers open in Excel."""

from __future__ import annotations

import contextlib
import csv
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sop_registry.files import open_private, private_dir

log = logging.getLogger("sigap.outputs")


def write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> bool:
    """Atomically: never a half-written recap. BOM, because Excel on Windows then reads it as UTF-8.

    A recap that cannot be written (the disk is full) is logged and left out, and False returned:
    the measurement it summarises still goes to the ledger, which is what the step's record is."""
    tmp = path.with_suffix(".tmp")
    try:
        private_dir(path.parent)
        with open_private(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        tmp.replace(path)
    except OSError as exc:
        log.error("step output not written path=%s reason=%s", path, exc.strerror or exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True
