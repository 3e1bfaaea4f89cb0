"""OPD websites for the agent tests: a news page dated as an OPD prints it, and a config watching sites."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .webfixtures import indonesian

# The office of every config these sites are checked with: a page prints its own local date, and
# Sigap counts calendar days there. Printing the UTC date made "45 days" read 46 between 16.00 and
# 24.00 UTC, when Makassar is already on the next day.
OFFICE_ZONE = ZoneInfo("Asia/Makassar")


def news_page(published: datetime) -> str:
    if published.tzinfo is not None:
        published = published.astimezone(OFFICE_ZONE)
    return (
        "<html><head><title>OPD</title></head><body><nav><a href='/profil'>Profil</a> "
        "<a href='/berita'>Berita</a></nav><div class='post'>"
        "<a href='/berita/kunjungan-kerja-bupati-ke-puskesmas'>Kunjungan Kerja Bupati ke "
        f"Puskesmas Kecamatan</a> <span>Diposting: {indonesian(published)}</span></div></body></html>"
    )


def write_config(tmp_path: Path, urls: list[str], db_url: str = "sqlite:///sigap.db") -> Path:
    sites = "\n".join(
        f"    - id: opd{i}\n      opd: OPD {i}\n      url: {url}\n      owned_by_office: true"
        for i, url in enumerate(urls)
    )
    path = tmp_path / "sigap.yaml"
    path.write_text(
        f"office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: {db_url}\nstate_dir: {tmp_path / 'state'}\n"
        f"targets:\n  websites:\n{sites}\n"
    )
    return path
