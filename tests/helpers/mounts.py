"""Real file-system faults for the ledger tests: a small tmpfs that fills up, a read-only mount.

Made with mount(8), which needs root (CI runs as root). Outside CI a machine that cannot mount skips
these tests; in CI that is a failure, as a skip would hide a ledger that breaks on a full disk.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        reason = f"mount {' '.join(args)}: {done.stderr.strip() or done.returncode}"
        if os.environ.get("CI"):
            pytest.fail(f"the file-system fault tests need mount (root) in CI: {reason}")
        pytest.skip(reason)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A file system of `size` at `path` (created): fill it with `fill()` to make the disk full."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)


def remount_read_only(path: Path) -> None:
    _mount("-o", "remount,ro", str(path))


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[Path]:
    """`path` read-only even for root (a bind mount of the file onto itself): as a -shm left by
    another user is for the service's user."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,ro,bind", str(path))
        yield path
    finally:
        _umount(path)


def fill(directory: Path) -> Path:
    """Write a file until the file system says it is full; remove it to free the space again."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as fh:
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 65536)
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 512)
    return filler
