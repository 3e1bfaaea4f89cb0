"""Simulated OPD sites built from the fixture pages in tests/fixtures/web, one loopback address each."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from .websrv import Site

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "web"
# Saturday 21 November 2026, 10:00 WITA: the fixtures' dates are written against this moment.
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
TZ = "Asia/Makassar"


MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


def indonesian(day: datetime) -> str:
    """ "21 November 2026", as OPD sites print dates."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def wordpress() -> Site:
    return (
        Site()
        .add("/", page("wp_home.html"))
        .add("/robots.txt", "User-agent: *\nDisallow: /wp-admin/\n", content_type="text/plain")
        .add("/wp-json/wp/v2/posts?*", page("wp_posts.json"), content_type="application/json")
        .add("/feed/", page("wp_feed.xml"), content_type="application/rss+xml")
        .add("/agenda/", page("wp_agenda.html"))
        .add(
            "/agenda/bimtek-spbe-2026/",
            '<html><head><meta property="article:published_time" '
            'content="2026-11-16T08:00:00+08:00"></head><body><h1>Bimtek SPBE</h1></body></html>',
        )
    )


def opensid() -> Site:
    site = (
        Site()
        .add("/", page("opensid_home.html"))
        .add("/feed", page("opensid_feed.xml"), content_type="application/rss+xml")
        .add("/agenda", page("opensid_home.html"))
        .add("/artikel/2026/11/1/agenda-posyandu-desember", page("opensid_article.html"))
    )
    return site


def datagoe() -> Site:
    return (
        Site()
        .add("/", page("datagoe_home.html"))
        .add("/unit/3/dinas-kesehatan/berita", page("datagoe_home.html"))
        .add(
            "/unit/3/dinas-kesehatan/berita/214/vaksinasi-campak-di-sekolah-dasar",
            page("datagoe_article.html"),
        )
    )


def lokomedia() -> Site:
    return (
        Site()
        .add("/", page("loko_home.html"), content_type="text/html")
        .add("/rss.xml", page("loko_rss.xml"), content_type="application/xml")
        # the header claims UTF-8; the page is ISO-8859-1, as its <meta> says
        .add("/semua-berita.html", page("loko_berita.html"), content_type="text/html; charset=utf-8")
        .add("/semua-agenda.html", page("loko_agenda.html"))
    )


def laravel() -> Site:
    return (
        Site()
        .add("/", page("laravel_home.html"), gzip=True)
        .add("/berita/seleksi-pppk-tahap-2-diumumkan", page("laravel_article.html"), gzip=True)
    )


def joomla() -> Site:
    return (
        Site()
        .add("/", page("joomla_home.html"))
        .add("/index.php?format=feed&type=rss", page("joomla_feed.xml"), content_type="application/rss+xml")
    )


def static_portal() -> Site:
    return Site().add("/", page("static_home.html"))


FAMILIES = {
    "wordpress": wordpress,
    "opensid": opensid,
    "datagoe": datagoe,
    "lokomedia": lokomedia,
    "laravel": laravel,
    "joomla": joomla,
    "static": static_portal,
}
