"""Simulated OPD sites built from the fixture pages in tests/fixtures/web, one loopback address each."""

from __future__ import annotations

from datetime import UTC, date, datetime
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

# The day (in TZ, at NOW) of the newest berita a careful person reads on each family's site: the ground
# truth the benchmark counts right dates against, read from the fixture pages, not from Sigap's answer.
NEWEST: dict[str, date] = {
    # wp_posts.json and wp_feed.xml: "Sosialisasi Keamanan Informasi", 20 Nov 01:30 UTC = 09:30 WITA
    # (the home page shows only the two older posts)
    "wordpress": date(2026, 11, 20),
    # opensid_home.html and its feed: "Musyawarah Desa Penetapan RKPDes 2027", 05 November 2026; the
    # agenda's "05 Desember 2026" is an event, the header's date is today's
    "opensid": date(2026, 11, 5),
    # datagoe_home.html: "Vaksinasi Campak …", 25 Ags 2026 (the topbar's "Jum'at, 20 Nov 2026" is the clock)
    "datagoe": date(2026, 8, 25),
    # loko_berita.html: "Forum Perangkat Daerah RKPD 2027 …", Jum'at, 20 November 2026 (rss.xml is of 2013)
    "lokomedia": date(2026, 11, 20),
    # laravel_home.html "2 hari yang lalu" at NOW, and its page's JSON-LD datePublished 19 Nov 06:00 UTC
    "laravel": date(2026, 11, 19),
    # joomla_home.html and its feed: "Penerimaan Peserta Didik Baru", 17 April 2025
    "joomla": date(2025, 4, 17),
    # static_home.html: "Pengumuman Lelang Aset Kecamatan", 25 Agu 2026 (02 Jan 2027 is in the future,
    # "Senin (11/12)" has no year)
    "static": date(2026, 8, 25),
}


# --- Issue 18: sites rendered from real CMS templates (tests/fixtures/web/SOURCES.md) ---------------

XML = "application/xml"
RSS = "application/rss+xml"


def esensi(feed_ok: bool = True) -> Site:
    """OpenSID with the esensi theme: its <head> names the XML sitemap as the RSS feed; OpenSID's own
    feed is at /feed. Without `feed_ok` that feed is gone too (a hosting rule blocks it)."""
    site = (
        Site()
        .add("/", page("esensi_home.html"))
        .add("/sitemap", page("opensid_sitemap.xml"), content_type="text/xml; charset=utf-8")
        .add(
            "/artikel/2026/11/20/musyawarah-desa-khusus-penetapan-kpm-blt-dana-desa-2027",
            page("esensi_artikel.html"),
        )
    )
    if feed_ok:
        site.add("/feed", page("opensid_feed_kegiatan.xml"), content_type="text/xml; charset=UTF-8")
    return site


def natra() -> Site:
    """OpenSID with the natra theme: no feed link in its <head>, the newest article only as the undated
    "Berita Utama" headline, an agenda widget that prints event times."""
    return (
        Site()
        .add("/", page("natra_home.html"))
        .add("/artikel/2026/11/20/rapat-koordinasi-persiapan-musrenbangdes", page("natra_artikel.html"))
    )


def joomla5(latest_module: bool = True) -> Site:
    """Joomla 5 (Cassiopeia): featured articles of April 2025 on the front page and in its feed; the
    newest news only in the "Berita Terbaru" module, without dates."""
    site = (
        Site()
        .add("/", page("joomla5_home.html"))
        .add("/index.php?format=feed&type=rss", page("joomla5_feed_featured.xml"), content_type=RSS)
        .add(
            "/index.php/berita/153-pengukuhan-forum-anak-kabupaten-bulungan-2026",
            page("joomla5_article.html"),
        )
    )
    return site


def joomla5_menu_article() -> Site:
    """Joomla 5 whose front page is one static article and whose menu entry "Berita Terbaru" is a
    single-article menu item: the news is that page, dated only by its own <time datetime>."""
    return (
        Site()
        .add("/", page("joomla5_frontpage_article.html"))
        .add("/index.php/berita-terbaru", page("joomla5_article.html"))
    )


def _wp_offline(with_feed: bool) -> Site:
    post = "/2026/11/19/rapat-koordinasi-spbe-tingkat-kabupaten/index.html"
    site = (
        Site()
        .add("/", page("wpstatic_home.html"))
        .add("/category/berita/index.html", page("wpstatic_kosong.html"))
        .add("/category/artikel/index.html", page("wpstatic_artikel.html"))
        .add(post, page("wp2021_single.html"))
    )
    if with_feed:
        site.add("/feed/index.html", page("wpstatic_feed_redirect.html"))
        site.add("/feed/index.xml", page("wpstatic_feed.xml"), content_type=XML)
    return site


def wp_static_offline() -> Site:
    """Twenty Twenty-One exported by Simply Static for offline use, with its feed: the page names
    `./feed/index.html`, a meta-refresh page in front of `feed/index.xml`."""
    return _wp_offline(with_feed=True)


def wp_static_offline_nofeed() -> Site:
    """The same export without feeds: the menu's "Berita" is an empty category, "Artikel" has the posts."""
    return _wp_offline(with_feed=False)


def wp_static_relative() -> Site:
    """Twenty Twenty-One exported by Simply Static with relative URLs, no feeds: only WordPress core's
    sitemaps (relative <loc>s, no lastmod, oldest post first) lead to the posts."""
    return (
        Site()
        .add("/", page("wpstatic_rel_home.html"))
        .add("/category/berita/", page("wpstatic_kosong.html"))
        .add("/wp-sitemap.xml", page("wpstatic_sitemap_index.xml"), content_type=XML)
        .add("/wp-sitemap-posts-post-1.xml", page("wpstatic_sitemap_posts.xml"), content_type=XML)
        .add("/wp-sitemap-posts-page-1.xml", page("wpstatic_sitemap_pages.xml"), content_type=XML)
        .add("/2026/11/19/rapat-koordinasi-spbe-tingkat-kabupaten/", page("wp2021_single_rel.html"))
    )


def wp_static_menu_post() -> Site:
    """The relative export whose menu entry "Berita" links one post instead of a category."""
    home = page("wpstatic_rel_home.html").replace(
        b'href="/category/berita/">Berita',
        b'href="/2026/11/19/rapat-koordinasi-spbe-tingkat-kabupaten/">Berita',
    )
    return (
        Site()
        .add("/", home)
        .add("/2026/11/19/rapat-koordinasi-spbe-tingkat-kabupaten/", page("wp2021_single_rel.html"))
    )


def hugo() -> Site:
    """Hugo + Ananke built with baseURL "/": no posts on the home page, RSS off; robots.txt and the
    sitemap name their addresses relative to the site."""
    return (
        Site()
        .add("/", page("hugo_home.html"))
        .add("/robots.txt", page("hugo_robots.txt"), content_type="text/plain")
        .add("/sitemap.xml", page("hugo_sitemap.xml"), content_type=XML)
        .add("/berita/batas-akhir-pembayaran-pbb-p2-diperpanjang/", page("hugo_single.html"))
    )


def httrack_portal(home_list: bool = True) -> Site:
    """A kecamatan portal saved by HTTrack: every menu entry is `…/index.html`, the "Indeks Berita" page
    was not mirrored, `berita/index.html` was. Without `home_list` its home shows no news block."""
    home = page("httrack_portal_home.html")
    if not home_list:
        start = home.index(b'<h3 class="judul-blok">Berita Terbaru</h3>')
        end = home.index(b'<div class="col-md-4">')
        home = (
            home[:start]
            + b"<p>Selamat datang di portal Kecamatan Tengah.</p></div>\n            "
            + home[end:]
        )
    return Site().add("/", home).add("/berita/index.html", page("httrack_portal_berita.html"))


def sinjai() -> Site:
    """A kabupaten humas portal on CodeIgniter 4 (humas Sinjai's `frontend/home/index.php`): every title
    and date on its own indented line inside its element, one title with a date in it."""
    return Site().add("/", page("sinjai_home.html"))


def splash_desa() -> Site:
    """A desa landing page ("Ke Web Desa / Ke Toko Desa") in front of OpenSID natra at /first."""
    return (
        Site()
        .add("/", page("splash_desa.html"))
        .add("/first", page("natra_home.html"))
        .add("/lapak", "<html><body><h1>Lapak Desa</h1></body></html>")
        .add("/feed", page("opensid_feed_kegiatan.xml"), content_type="text/xml; charset=UTF-8")
    )


def splash_portal() -> Site:
    """A pemda portal gate ("Masuk ke Website") in front of a WordPress site at /portal/."""
    return wordpress().add("/", page("splash_portal.html")).add("/portal/", page("wp_home.html"))


REAL_FAMILIES = {
    "esensi": esensi,
    "natra": natra,
    "joomla5": joomla5,
    "wp_static_offline": wp_static_offline,
    "wp_static_relative": wp_static_relative,
    "hugo": hugo,
    "httrack": httrack_portal,
    "sinjai": sinjai,
    "splash_desa": splash_desa,
    "splash_portal": splash_portal,
}
