"""One week's stored report: its revisions as rendered, what was sent of them, which one was approved.

A revision that was sent (accepted by the mail server) or approved is never written again: rendering
the week once more makes the next revision beside it (`laporan-mingguan-2026-W47-r2.pdf`, r3 ...), so
the archive still holds what the Kepala Bidang received. Only a draft, neither sent nor approved, is
rendered over in place. `meta.json` in the week's directory is the record.

Every file is written beside its place and renamed over it (never half a report after a crash), 0640,
and the directories are made 0750, whatever the umask: the reports name officials and each OPD's
problems, which is not for every local account.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sop_registry.errors import InputError
from sop_registry.files import FILE_MODE, private_dir

META = "meta.json"


STEMS = {"weekly": "laporan-mingguan", "monthly": "laporan-bulanan"}


def file_name(period: object, fmt: str, revision: int = 1) -> str:
    """Revision 1 keeps the name archives had before revisions existed. A week's report is
    laporan-mingguan-2026-W47.pdf, a month's laporan-bulanan-2026-11.pdf."""
    tail = "" if revision == 1 else f"-r{revision}"
    return f"{STEMS[getattr(period, 'kind', 'weekly')]}-{period}{tail}.{fmt}"


@dataclass
class Revision:
    number: int
    generated_at: datetime
    language: str
    files: dict[str, str]  # format -> file name in the week's directory
    # The summary tiles as made: a later send's text part says what its attachments say.
    summary: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Send:
    at: datetime
    ok: bool
    revision: int
    files: list[str]  # the body and the attachments, by name
    to: list[str]
    refused: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Approval:
    by: str
    at: datetime
    revision: int
    note: str | None = None


@dataclass
class Archive:
    directory: Path
    week: str
    revisions: list[Revision] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    approval: Approval | None = None

    @property
    def latest(self) -> Revision | None:
        return self.revisions[-1] if self.revisions else None

    def revision(self, number: int | None = None) -> Revision:
        """`number`, or the latest; the caller has checked that there is a stored report at all."""
        if number is None and self.revisions:
            return self.revisions[-1]
        for rev in self.revisions:
            if rev.number == number:
                return rev
        known = ", ".join(str(r.number) for r in self.revisions) or "none"
        raise InputError(f"--revision: {self.week} has no revision {number} (stored: {known})")

    def sent(self, number: int) -> list[Send]:
        return [s for s in self.sends if s.ok and s.revision == number]

    def frozen(self) -> set[int]:
        """The revisions someone received or approved: never written again."""
        done = {s.revision for s in self.sends if s.ok}
        return done | ({self.approval.revision} if self.approval else set())

    def target(self, frozen_elsewhere: Iterable[int] = ()) -> int:
        """The revision a new rendering goes to: the latest while it is a draft, else the next."""
        frozen = self.frozen() | set(frozen_elsewhere)
        latest = self.latest.number if self.latest else 0
        if latest and latest not in frozen:
            return latest
        return max([latest, *frozen]) + 1  # past what the ledger says was sent, should meta.json be lost

    def put(self, revision: Revision) -> None:
        self.revisions = sorted(
            [r for r in self.revisions if r.number != revision.number] + [revision], key=lambda r: r.number
        )

    def to_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "week": self.week,
            "latest": latest.number if latest else None,
            "revisions": [
                {
                    "revision": r.number,
                    "generated_at": r.generated_at.isoformat(),
                    "language": r.language,
                    "files": r.files,
                    "summary": r.summary,
                }
                for r in self.revisions
            ],
            "sends": [_plain(s) | {"at": s.at.isoformat()} for s in self.sends],
            "approval": _plain(self.approval) | {"at": self.approval.at.isoformat()}
            if self.approval
            else None,
        }


def _plain(item: Any) -> dict[str, Any]:
    return dict(item.__dict__)


def load(directory: Path, week: object) -> Archive:
    """The week's record; an empty one when nothing was stored yet."""
    path = directory / META
    if not path.is_file():
        return Archive(directory, str(week))
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return _from_json(directory, str(week), raw)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: unreadable report record: {exc!r}") from None


def _from_json(directory: Path, week: str, raw: dict[str, Any]) -> Archive:
    if "revisions" in raw:
        revisions = [
            Revision(
                r["revision"], datetime.fromisoformat(r["generated_at"]), r["language"], dict(r["files"]),
                list(r.get("summary") or []),
            )
            for r in raw["revisions"]
        ]  # fmt: skip
    elif raw.get("files"):  # an archive made before revisions: its files are revision 1
        files = {Path(name).suffix.lstrip("."): name for name in raw["files"]}
        revisions = [
            Revision(1, datetime.fromisoformat(raw["generated_at"]), raw.get("language") or "id", files,
                     list(raw.get("summary") or []))
        ]  # fmt: skip
    else:
        revisions = []
    sends = [
        Send(
            datetime.fromisoformat(s["at"]), bool(s["ok"]), s.get("revision", 1), list(s.get("files") or []),
            list(s.get("to") or []), dict(s.get("refused") or {}), s.get("error"),
        )
        for s in raw.get("sends") or []
    ]  # fmt: skip
    a = raw.get("approval")
    approval = (
        Approval(a["by"], datetime.fromisoformat(a["at"]), a.get("revision", 1), a.get("note")) if a else None
    )
    return Archive(directory, raw.get("week") or week, revisions, sends, approval)


def save(archive: Archive) -> None:
    text = json.dumps(archive.to_json(), ensure_ascii=False, indent=2)
    write_atomic(archive.directory / META, text.encode("utf-8"))


def make_dir(directory: Path) -> None:
    """The week's directory and any above it this makes, 0750."""
    private_dir(directory)


def stage(path: Path, content: bytes) -> Path:
    """`content` in a new temporary file beside `path`, 0640 and synced; `publish` renames it over."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        discard([Path(name)])
        raise
    return Path(name)


def publish(staged: Path, path: Path) -> Path:
    staged.replace(path)
    return path


def discard(staged: Iterable[Path]) -> None:
    for path in staged:
        with suppress(OSError):
            path.unlink()


def write_atomic(path: Path, content: bytes) -> None:
    publish(stage(path, content), path)
