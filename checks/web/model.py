"""Typed settings and results of the web freshness check. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..finding import Finding, Status

# The sections a government site must have (Polewali Mandar 07, "pemenuhan konten website sesuai
# standar"): each name maps to words that, in a link's text or address, show the section exists.
DEFAULT_SECTIONS: dict[str, list[str]] = {
    "profil": ["profil", "profile", "tentang", "visi", "struktur organisasi", "sejarah", "tupoksi"],
    "berita": ["berita", "artikel", "news", "warta", "kabar"],
    # Not "kegiatan": a "Kegiatan" menu is activity news, not a schedule ("Agenda Kegiatan" still
    # counts, by its first word).
    "agenda": ["agenda", "jadwal", "kalender", "event"],
    "ppid": ["ppid", "informasi publik", "keterbukaan informasi", "dip", "daftar informasi"],
    "kontak": ["kontak", "hubungi", "contact", "alamat kantor"],
    "pengumuman": ["pengumuman", "informasi terkini", "announcement", "maklumat"],
}


class CrawlSettings(BaseModel):
    """How politely and how far one crawl goes. Names carry their units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str = "Sigap/0.1 (+monitoring website OPD oleh Diskominfo; pemantauan mingguan)"
    concurrency: int = Field(default=32, ge=1, le=1024)  # requests in flight over all sites
    per_host: int = Field(default=2, ge=1, le=8)  # requests in flight per host
    # ...and per server address: forty OPD subdomains on one pemda server share these four.
    per_server: int = Field(default=4, ge=1, le=64)
    timeout_s: float = Field(default=20.0, gt=0)  # one request, from connect to last byte read
    site_budget_s: float = Field(default=120.0, gt=0)  # everything for one site
    max_requests_per_site: int = Field(default=12, ge=1, le=100)
    max_page_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)  # decoded bytes read per page
    max_redirects: int = Field(default=5, ge=0, le=20)
    retries: int = Field(default=2, ge=0, le=5)  # transient errors only: connect, 429, 502-504
    backoff_s: float = Field(default=1.0, ge=0)
    article_pages: int = Field(default=2, ge=0, le=10)  # newest items opened to confirm their date
    parse_workers: int = Field(
        default=-1, ge=-1, le=64
    )  # HTML parsing processes; -1: one per core on big crawls


# Googlebot Smartphone as Google documents it (developers.google.com/search/docs/crawling-indexing/
# overview-google-crawlers), with Sigap's name after it so a site's log still says who asked. Being a
# phone's user agent, it also gets redirects that are served to phones only.
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) "
    "Sigap/0.1"
)


class WatchSettings(BaseModel):
    """The injection watch of the weekly crawl (issue 21): judi online spam, cloaking, defacement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Requests beyond the freshness crawl per site: the home page as Googlebot sees it, as a visitor
    # from a Google search sees it, and one lead (a redirect off the site, an iframe of the site's
    # own, a sitemap robots.txt names that the crawl did not read). Paid from max_requests_per_site.
    max_extra_requests: int = Field(default=3, ge=0, le=3)
    googlebot_user_agent: str = Field(default=GOOGLEBOT_SMARTPHONE, min_length=10)
    referer: str = Field(default="https://www.google.co.id/", pattern=r"^https?://")
    # The office's own words: advertising phrases the bundled lexicon lacks (a new slot brand), and
    # words of reporting that mark an article about gambling as editorial.
    extra_terms: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)
    extra_counter_words: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)
    # Outbound hosts never taken as gambling by their name (go.id and aduankonten.id never are).
    allowed_domains: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    warn_after_days: int = Field(default=7, gt=0)
    crit_after_days: int = Field(default=30, gt=0)
    agenda_warn_after_days: int = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if self.crit_after_days < self.warn_after_days:
            raise ValueError(
                f"crit_after_days ({self.crit_after_days}) is less than "
                f"warn_after_days ({self.warn_after_days})"
            )
        return self


@dataclass(frozen=True)
class SiteSpec:
    """One site to crawl: the URL and what the office configured for it."""

    url: str
    timezone: str = "Asia/Jakarta"  # how to read dates printed without a zone
    thresholds: Thresholds = field(default_factory=Thresholds)
    respect_robots: bool = True  # False when the office owns the site
    sections: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_SECTIONS))
    # "javascript": a site whose HTML is an empty shell is read as headless Chromium shows it (its
    # home page and one list page); off by default, a browser costs ~150 MiB and a second a page.
    render: str = "html"


# How much a source is trusted, highest first. Used to break ties and to let page metadata beat the
# page's body text; across sources the newest valid date wins, so a stale static feed cannot hide
# fresh pages.
SOURCE_RANK = {
    "wp-json": 5,
    "feed": 5,
    "meta:article:published_time": 5,
    "json-ld": 5,
    "time[datetime]": 4,
    "url:date": 3,
    "html:label": 3,
    "html:list": 2,
    "html:article": 2,
    "sitemap:lastmod": 1,
}


@dataclass(frozen=True)
class Dated:
    """A dated item: where the date was read and the page it belongs to."""

    when: datetime
    precision: str  # day | minute | second
    source: str  # a SOURCE_RANK key
    url: str | None
    kind: str = "berita"  # berita | agenda
    title: str | None = None
    found_on: str | None = None  # the page or document the date was read from


@dataclass
class SiteResult:
    target: str
    status: Status
    checked_at: datetime
    latest: Dated | None = None
    age_days: int | None = None
    agenda: Dated | None = None
    agenda_found: bool = False
    cms: str | None = None
    completeness: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    bytes_read: int = 0
    elapsed_s: float = 0.0
    final_url: str | None = None
    timezone: str = "Asia/Jakarta"  # the site's zone: dates are shown in it
    entry_url: str | None = None  # a splash page the crawl passed through to reach the real home
    injection: dict[str, Any] | None = None  # what the injection watch read: views, skipped, hashes
