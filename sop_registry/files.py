"""Files Sigap makes that name officials, OPDs and their faults: never world-readable.

The systemd unit runs with UMask=0027, but Sigap also runs from a shell (a umask of 0022 is common),
and then the ledger, its state directory and the recaps were created 0644/0755. These make them
0640/0750 whatever the umask.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o640
DIR_MODE = 0o750


def private_dir(path: Path) -> Path:
    """`path` and any parent it has to make, each created 0750 (existing ones are left as they are)."""
    missing = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(directory, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def private_file(path: Path) -> None:
    """Create `path` empty, 0640, if it does not exist (SQLite then makes its -wal/-shm alike)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def open_private(path: Path, mode: str = "w", **kwargs):
    """open() for a new file made 0640 (a replaced file keeps the mode given here)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC

    def opener(name: str, _flags: int) -> int:
        fd = os.open(name, flags, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        return fd

    return open(path, mode, opener=opener, **kwargs)  # the caller closes it
