"""Parse and evaluate, per CMS family, from fixture pages: no event loop, no network."""

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from helpers.webfixtures import NOW, page

from checks.web.crawl import Evidence
from checks.web.evaluate import evaluate
from checks.web.fetch import FetchError
from checks.web.messages import render
from checks.web.model import DEFAULT_SECTIONS, Dated, SiteSpec, Thresholds
from checks.web.parse import decode_html, parse_feed, parse_html, parse_sitemap, parse_wp_posts

WITA = ZoneInfo("Asia/Makassar")
HOME = "http://opd.test/"


def html(name: str, url: str = HOME, *, article: bool = False):
    return parse_html(page(name), url, HOME, NOW, WITA, sections=DEFAULT_SECTIONS, article=article)


def dates_of(p) -> dict[str, str]:
    return {
        i.url.removeprefix("http://opd.test"): i.date.when.strftime("%Y-%m-%d") for i in p.listed if i.date
    }


def test_wordpress_home() -> None:
    p = html("wp_home.html")
    assert p.cms == "wordpress"
    assert p.feeds == ["http://opd.test/feed/"]
    assert p.wp_api == "http://opd.test/wp-json/"
    assert p.list_pages["berita"] == ["http://opd.test/category/berita/"]
    assert p.list_pages["agenda"] == ["http://opd.test/agenda/"]
    # the header's "Sabtu, 21 November 2026" is today's clock, not an item's date
    assert dates_of(p) == {
        "/2026/11/19/rapat-koordinasi-smart-city-tahap-ii/": "2026-11-19",
        "/2026/11/12/pelatihan-admin-website-opd/": "2026-11-12",
    }
    assert set(p.sections) == set(DEFAULT_SECTIONS)


def test_wordpress_rest_and_feed() -> None:
    posts = parse_wp_posts(page("wp_posts.json"), "http://opd.test/wp-json/wp/v2/posts")
    assert next((d.when, d.source) for d in posts) == (datetime(2026, 11, 20, 1, 30, tzinfo=UTC), "wp-json")
    assert posts[0].url == "http://opd.test/2026/11/20/sosialisasi-keamanan-informasi/"
    assert parse_wp_posts(b"<html>not json</html>", "x") is None
    feed = parse_feed(page("wp_feed.xml"), "http://opd.test/feed/")
    assert feed.ok and feed.undated == 0
    assert max(d.when for d in feed.items) == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


def test_wordpress_agenda_counts_posting_not_event_dates() -> None:
    p = html("wp_agenda.html", "http://opd.test/agenda/")
    bimtek = next(i for i in p.listed if "bimtek" in i.url)
    assert bimtek.kind == "agenda"
    # "Tanggal Kegiatan: 3 Desember 2026" is a future event; the posting label wins
    assert (bimtek.date.when.date().isoformat(), bimtek.date.label) == ("2026-11-16", "published")


def test_opensid() -> None:
    p = html("opensid_home.html")
    assert p.cms == "opensid"
    got = dates_of(p)
    assert got["/artikel/2026/11/5/musyawarah-desa-penetapan-rkpdes-2027"] == "2026-11-05"
    # the agenda event "05 Desember 2026 14:30:00" is in the future: never read as a date
    assert "/artikel/2026/11/1/agenda-posyandu-desember" not in got
    art = html(
        "opensid_article.html", "http://opd.test/artikel/2026/11/1/agenda-posyandu-desember", article=True
    )
    # the labelled posting date, not the hard-coded <meta name="revised"> of 2010 nor the event date
    assert [(d.source, d.when.isoformat()) for d in art.own_dates] == [
        ("html:label", "2026-11-01T08:15:00+08:00")
    ]


def test_opensid_sitemap_and_url_dates() -> None:
    xml = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>http://opd.test/artikel/2026/11/5/musyawarah</loc><lastmod>2026-11-05</lastmod></url>
    <url><loc>http://opd.test/artikel/2027/1/5/terjadwal</loc><lastmod>2027-01-05</lastmod></url>
    </urlset>"""
    sm = parse_sitemap(xml, WITA)
    assert sm.ok and len(sm.urls) == 2
    assert sm.urls[0][1] == datetime(2026, 11, 5, tzinfo=WITA)
    assert not parse_sitemap(b"<urlset><url><loc>truncated", WITA).ok
    index = parse_sitemap(
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>http://opd.test/wp-sitemap-posts-post-1.xml</loc></sitemap></sitemapindex>",
        WITA,
    )
    assert index.children == ["http://opd.test/wp-sitemap-posts-post-1.xml"]
    # a labelled posting date beats the date in the address; the address beats plain body dates
    art = html("wp_agenda.html", "http://opd.test/artikel/2026/10/5/slug", article=True)
    assert [(d.source, d.when.date().isoformat()) for d in art.own_dates] == [("html:label", "2026-11-16")]
    art = html("datagoe_article.html", "http://opd.test/artikel/2026/10/5/slug", article=True)
    assert [(d.source, d.when.date().isoformat()) for d in art.own_dates] == [("url:date", "2026-10-05")]


def test_codeigniter_datagoe_short_month_and_event_date() -> None:
    p = html("datagoe_home.html")
    assert p.cms == "codeigniter"
    assert set(dates_of(p).values()) == {"2026-08-25", "2026-08-20"}  # "25 Ags 2026", "20-08-2026"
    art = html("datagoe_article.html", "http://opd.test/unit/3/dinas-kesehatan/berita/214/x", article=True)
    # the press-release opening "Kamis (20/8/2026)" is an event date and loses to the date line
    assert [(d.source, d.when.date().isoformat()) for d in art.own_dates] == [("html:article", "2026-08-25")]


def test_lokomedia_wrong_charset_old_months_and_static_feed() -> None:
    raw = page("loko_berita.html")
    text = decode_html(raw, "utf-8")  # the header lies; the bytes are ISO-8859-1 as <meta> says
    assert "Café" in text and "©" in text
    p = parse_html(raw, "http://opd.test/semua-berita.html", HOME, NOW, WITA, declared_charset="utf-8")
    got = {i.url.rsplit("/", 1)[1]: i.date.when.isoformat() for i in p.listed if i.date}
    assert got == {
        "berita-forum-perangkat-daerah-rkpd-2027.html": "2026-11-20T10:30:00+07:00",  # Jum'at ... WIB
        "berita-musrenbang-kecamatan.html": "2026-11-10T09:00:00+07:00",  # Nopember
    }
    feed = parse_feed(page("loko_rss.xml"), "http://opd.test/rss.xml")
    assert feed.items[0].when.year == 2013
    undated = parse_feed(
        b'<rss version="2.0"><channel><title>x</title><item><title>a</title><link>/a</link>'
        b"</item></channel></rss>",
        "http://opd.test/rss.xml",
    )
    assert (undated.ok, undated.items, undated.undated) == (True, [], 1)


def test_laravel_relative_english_and_json_ld() -> None:
    p = html("laravel_home.html")
    assert p.cms == "laravel"
    assert dates_of(p) == {
        "/berita/seleksi-pppk-tahap-2-diumumkan": "2026-11-19",  # "2 hari yang lalu"
        "/berita/apel-kesadaran-nasional-november": "2026-11-14",  # "14 Nov 2026"
        "/berita/layanan-kenaikan-pangkat-online": "2026-11-09",  # "Senin, 9 Nop 2026, 14:30 WITA"
    }
    art = html("laravel_article.html", "http://opd.test/berita/seleksi", article=True)
    # JSON-LD @graph beats the body's "Kamis (11/7/2019)"
    assert [(d.source, d.when.isoformat()) for d in art.own_dates] == [
        ("json-ld", "2026-11-19T06:00:00+00:00")
    ]


def test_joomla_feed_and_spaced_day_name() -> None:
    p = html("joomla_home.html")
    assert p.cms == "joomla"
    assert p.feeds == ["http://opd.test/index.php?format=feed&type=rss"]
    assert set(dates_of(p).values()) == {"2025-04-17"}  # "Kamis , 17 April 2025"
    assert "http://opd.test/index.php/profil" not in p.list_pages["berita"]


def test_static_portal_time_before_date_yearless_and_future() -> None:
    p = html("static_home.html")
    got = dates_of(p)
    assert got == {"/read/2026/pengumuman-lelang-aset-kecamatan": "2026-08-25"}  # "16:00:41, 25 Agu 2026"
    # "Senin (11/12)" has no year and "02 Jan 2027" is in the future: neither is a date


def test_maintenance_page() -> None:
    assert html("maintenance.html").maintenance


def _spec(**kw) -> SiteSpec:
    return SiteSpec(url=HOME, timezone="Asia/Makassar", **kw)


def _dated(day: str, source: str = "feed", kind: str = "berita", url: str = "http://opd.test/a") -> Dated:
    return Dated(datetime.fromisoformat(day).replace(tzinfo=WITA), "day", source, url, kind)


def test_evaluate_thresholds_and_messages() -> None:
    th = Thresholds(warn_after_days=7, crit_after_days=30)
    cases = {
        "2026-11-14": ("ok", 7),
        "2026-11-13": ("warn", 8),
        "2026-10-22": ("warn", 30),
        "2026-10-21": ("crit", 31),
    }
    for day, (status, age) in cases.items():
        r = evaluate(_spec(thresholds=th), Evidence(dated=[_dated(day)]), NOW)
        assert (r.status, r.age_days) == (status, age), day
    stale = evaluate(_spec(thresholds=th), Evidence(dated=[_dated("2026-10-29")]), NOW)
    f = stale.findings[0]
    assert (f.code, f.observed, f.limit) == (
        "content_stale",
        {"value": 23, "unit": "day"},
        {"value": 7, "unit": "day"},
    )
    assert render(f, "id") == "Berita/artikel terbaru 23 hari lalu, melewati batas 7 hari"
    assert render(f, "en") == "Newest news/article is 23 days old, beyond the 7-day limit"


def test_evaluate_rules() -> None:
    # a stale static feed does not outvote a fresh list page
    ev = Evidence(dated=[_dated("2013-01-21"), _dated("2026-11-20", "html:list", url="http://opd.test/b")])
    r = evaluate(_spec(), ev, NOW)
    assert (r.status, r.latest.source, r.latest.url) == ("ok", "html:list", "http://opd.test/b")
    # a future date is never a publication date; agenda dates are not berita dates
    ev = Evidence(dated=[_dated("2026-10-01"), _dated("2026-12-24"), _dated("2026-11-20", kind="agenda")])
    r = evaluate(_spec(), ev, NOW)
    assert (r.latest.when.date().isoformat(), r.status) == ("2026-10-01", "crit")
    assert r.findings[0].params["future_ignored"] == 1
    assert r.agenda.when.date().isoformat() == "2026-11-20"
    # nothing dated: unknown, with a finding that says what was tried
    r = evaluate(_spec(), Evidence(sources_tried=["home", "feed"]), NOW)
    assert r.status == "unknown" and r.findings[0].code == "no_date_found"
    assert "home, feed" in render(r.findings[0])


def test_the_same_instant_from_two_sources_names_one_source_whatever_arrived_first() -> None:
    # WordPress: wp-json's date_gmt and the feed's pubDate are the same instant for the same post; the
    # answer (source, item) must not depend on which response came back first (bench_web under load).
    post = "http://opd.test/2026/11/20/sosialisasi-keamanan-informasi/"
    api, feed = _dated("2026-11-20", "wp-json", url=post), _dated("2026-11-20", "feed", url=post)
    for dated in ([api, feed], [feed, api]):
        r = evaluate(_spec(), Evidence(dated=dated), NOW)
        assert (r.latest.source, r.latest.url) == ("wp-json", post)
    # two items at one instant from one source: the same one either way
    a, b = _dated("2026-11-20", url="http://opd.test/a"), _dated("2026-11-20", url="http://opd.test/b")
    assert (
        evaluate(_spec(), Evidence(dated=[a, b]), NOW).latest
        == evaluate(_spec(), Evidence(dated=[b, a]), NOW).latest
    )


def test_evaluate_fatal_and_maintenance() -> None:
    r = evaluate(_spec(), Evidence(fatal=FetchError("redirect_loop", "a -> b", HOME)), NOW)
    assert (r.status, [f.code for f in r.findings]) == ("unknown", ["redirect_loop"])
    r = evaluate(_spec(), Evidence(maintenance="sedang dalam perbaikan"), NOW)
    assert (r.status, r.findings[0].code) == ("unknown", "site_maintenance")


def test_completeness_is_configurable() -> None:
    ev = Evidence(dated=[_dated("2026-11-20")], sections={"berita": HOME, "profil": HOME})
    r = evaluate(_spec(sections={"berita": ["berita"], "profil": ["profil"], "ppid": ["ppid"]}), ev, NOW)
    assert r.completeness == {"score": 67, "present": ["berita", "profil"], "missing": ["ppid"]}
    spec = replace(_spec(), sections={"berita": ["berita"]})
    assert evaluate(spec, ev, NOW).completeness["score"] == 100


def test_kind_of_reads_folders_not_words_in_slugs() -> None:
    from checks.web.parse import kind_of

    assert kind_of("http://opd.test/agenda/bimtek-spbe") == "agenda"
    assert kind_of("http://opd.test/semua-agenda.html") == "agenda"
    assert kind_of("http://opd.test/agenda-rapat-koordinasi.html") == "agenda"
    # "kegiatan" is a common word in news titles: a berita slug that contains it stays berita
    assert kind_of("http://opd.test/berita/0/kegiatan-pemerintah-daerah") == "berita"
    assert kind_of("http://opd.test/artikel/2026/11/1/x", "Agenda Posyandu Desember") == "agenda"


def test_every_automated_step_names_a_known_agent_and_valid_limits() -> None:
    import pytest

    from agents.runner import check_binding
    from sop_registry.errors import InputError
    from sop_registry.loader import load_registry
    from sop_registry.schema import Automation

    bound = []
    for sop in load_registry(()).sops.values():
        for step in sop.steps:
            if step.automation:
                check_binding(sop.id, step.no, step.automation)
                bound.append(f"{sop.id}:{step.no}")
    assert {
        "kaltim-monitoring-website:2",
        "polman-03:6",
        "polman-05:4",
        "polman-07:3",
        "polman-14:7",
        "polman-19:7",
    } <= set(bound)
    schedule = {"every_minutes": 5}
    for bad, needle in [
        ({"check": "nope", "targets": "x", "schedule": schedule}, "unknown check"),
        (
            {"check": "tls_cert", "targets": "x", "schedule": schedule, "thresholds": {"warn_days": 1}},
            "crit_days",
        ),
        ({"check": "dns_ip", "targets": "x", "schedule": schedule, "thresholds": {"x": 1}}, "thresholds"),
    ]:
        with pytest.raises(InputError, match=needle):
            check_binding("s", 1, Automation(**bad))


def test_what_the_fuzzer_found_in_feeds_sitemaps_and_wp_json_is_no_data_not_a_crash():
    # tests/fuzz/fuzz_parsers.py: each of these raised out of the parser, failing the whole site.
    from datetime import UTC

    from checks.web.parse import parse_feed, parse_sitemap, parse_wp_posts

    feed = b'<?xml version="1.0" encoding="\x92utf"?><rss version="2.0"><channel></channel></rss>'
    assert parse_feed(feed, "http://127.0.0.1/feed").ok is False
    sitemap = (
        b'<?xml version="1.0" encoding="UTF78"?><urlset><url><loc>http://127.0.0.1/a</loc></url></urlset>'
    )
    assert parse_sitemap(sitemap, UTC).ok is False
    posts = b'[{"id": 1, "date_gmt": {"rendered": "x"}}, {"id": 2, "date_gmt": "2026-11-20T03:00:00"}]'
    [only] = parse_wp_posts(posts, "http://127.0.0.1/wp-json/wp/v2/posts")
    assert only.when.isoformat() == "2026-11-20T03:00:00+00:00"
