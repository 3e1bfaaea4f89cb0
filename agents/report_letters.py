"""`sigap report letters`: the letters to the OPDs whose sites stayed stale, made from the week's
figures and stored beside the week's report (STATE_DIR/reports/WEEK/surat/), PDF and DOCX.

They are drafts for the office to number, sign and send: made again, they are made over (nothing of
them was sent or approved by Sigap). No step run: no SOP step of the bundled sets is the letter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from reports import archive, data, letters
from reports.period import Week
from sop_registry.errors import InputError
from sop_registry.loader import Registry

from .config import Config
from .report_steps import archive_dir, language

log = logging.getLogger("sigap.report")


@dataclass
class Made:
    opd: str
    kind: str
    weeks: int
    files: dict[str, Path]  # format -> the archived file (or its --out copy)
    addressed: bool  # the config has the OPD's head (office.opds)


def make(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Week,
    now: datetime,
    *,
    formats: tuple[str, ...] = letters.FORMATS,
    lang: str | None = None,
    out: Path | None = None,
) -> list[Made]:
    """One letter per OPD due one; every file in memory first, then written (0640) in the archive and
    copied to `out`."""
    lang = language(config, lang)
    if out is not None and not out.is_dir():
        raise InputError(f"--out: {out}: not an existing directory")
    with Session(engine) as session:
        report = data.build(session, config, week, now)
    titles = {sop_id: sop.title for sop_id, sop in registry.sops.items()}
    due = letters.due(report, config, titles)
    makers = {"pdf": letters.pdf, "docx": letters.docx}
    rendered = [(letter, {fmt: makers[fmt](letter, config, lang, now) for fmt in formats}) for letter in due]
    directory = archive_dir(config, week) / "surat"
    names = [{fmt: letters.file_name(letter, week, fmt) for fmt in contents} for letter, contents in rendered]
    staged: dict[tuple[int, str], Path] = {}
    if out is not None:  # the copies first: an --out that cannot be written leaves nothing anywhere
        try:
            for i, (_letter, contents) in enumerate(rendered):
                for fmt, content in contents.items():
                    staged[(i, fmt)] = archive.stage(out / names[i][fmt], content)
        except OSError as exc:
            archive.discard(staged.values())
            raise InputError(f"--out: {out}: cannot write there ({exc.strerror or exc})") from None
    if rendered:
        archive.make_dir(directory)
    made = []
    for i, (letter, contents) in enumerate(rendered):
        files = {}
        for fmt, content in contents.items():
            archive.write_atomic(directory / names[i][fmt], content)
            files[fmt] = directory / names[i][fmt]
            if (i, fmt) in staged:
                files[fmt] = archive.publish(staged[(i, fmt)], out / names[i][fmt])
        made.append(Made(letter.opd, letter.kind, letter.weeks, files, letter.addressee is not None))
    log.info("report letters week=%s letters=%s dir=%s", week, len(made), directory)
    return made
