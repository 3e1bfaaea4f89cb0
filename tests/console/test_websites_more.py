"""Website OPD, continued: the newest berita's title (written by the web agent's own recap writer,
read back through WebRecapRow), the twelve-week strip, the filters, and "Periksa sekarang"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers.console import HOSTILE, NOW, csrf_of, make_world, write_crawl

from sop_registry.ledger import records


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("websites")
    w = make_world(tmp, f"sqlite:///{tmp / 'ledger.db'}", report=False)
    # two earlier Mondays: dishub was fresh three weeks ago and stale a week ago; none two weeks ago
    write_crawl(w.engine, w.config, w.registry, NOW - timedelta(weeks=3, hours=7), ages={"dishub": 2})
    write_crawl(w.engine, w.config, w.registry, NOW - timedelta(weeks=1, hours=7), ages={"dishub": 38})
    w.clients = {name: w.login(name)[0] for name in ("admin", "opda", "lihat", "tek")}
    yield w
    w.close()


def test_the_title_goes_through_the_recap_row_round_trip(world):
    from helpers.console import _site_result

    from agents.kinds import web as web_kind

    site = next(s for s in world.config.targets.websites if s.id == "dinkes")
    result = _site_result(site, 3, NOW, site.url + "berita/x", "Vaksinasi " + "panjang " * 80)
    row = web_kind.recap_rows([(site, result)], world.config, "id")[0]
    back = records.WebRecapRow.model_validate_json(row.model_dump_json())
    assert back.title and back.title.startswith("Vaksinasi") and len(back.title) == 300


def test_the_newest_title_is_shown_and_escaped(world):
    page = world.clients["admin"].get("/websites").text
    assert "Judul berita dinkes" in page
    assert HOSTILE not in page and "&lt;script&gt;window.__pwned=1" in page
    one = world.clients["admin"].get("/websites/dishub").text
    assert "Judul berita dishub" in one and HOSTILE not in one


def test_the_twelve_week_strip(world):
    page = world.clients["admin"].get("/websites/dishub").text
    cells = re.findall(r'<li class="cell status-(\w+)" title="(\d{4}-W\d\d)', page)
    assert len(cells) == 12
    assert [s for s, _w in cells[-4:]] == ["ok", "none", "crit", "crit"], cells
    assert cells[-1][1] == "2026-W49"


@pytest.mark.parametrize(
    "query,shown",
    [
        ("", {"dinkes", "arsip", "dishub", "disdik"}),
        ("?bucket=passive", {"dishub"}),
        ("?bucket=less", {"disdik"}),
        ("?status=none", {"arsip"}),
        ("?status=ok&opd=Dinas+Kesehatan", {"dinkes"}),
        ("?opd=Dinas+Perhubungan", {"dishub", "disdik"}),
        ("?bucket=bogus&status=<x>", {"dinkes", "arsip", "dishub", "disdik"}),
    ],
)
def test_filters(world, query, shown):
    page = world.clients["admin"].get("/websites" + query).text
    assert set(re.findall(r'<td[^>]*><a href="/websites/(\w+)">', page)) == shown


def test_an_opd_admin_filters_within_its_own(world):
    page = world.clients["opda"].get("/websites?opd=Dinas+Perhubungan").text
    assert re.findall(r'<td[^>]*><a href="/websites/(\w+)">', page) == []
    assert "Dinas Perhubungan" not in page


def _check(world, who: str, site: str):
    client = world.clients[who]
    token = csrf_of(client.get("/websites").text)
    return client.post(f"/websites/{site}/check", data={"csrf": token})


def test_check_now_crawls_the_site_and_shows_the_result(world):
    # 127.0.0.1:9 (discard) refuses the connection: the crawl could not measure it
    reply = _check(world, "opda", "dinkes")
    assert reply.status_code == 200, reply.text[:500]
    assert 'id="check-result"' in reply.text and "tidak dapat dihubungi" in reply.text
    assert 'badge status-unknown">tidak terukur</span></h2>' in reply.text


def test_check_now_is_scoped_and_refused_to_a_viewer(world):
    assert _check(world, "opda", "dishub").status_code == 404
    assert _check(world, "lihat", "dinkes").status_code == 403
    assert 'id="check-now"' not in world.clients["lihat"].get("/websites/dinkes").text
    assert 'id="check-now"' in world.clients["tek"].get("/websites/dinkes").text
    no_csrf = world.clients["tek"].post("/websites/dinkes/check", data={})
    assert no_csrf.status_code == 403


def test_check_now_when_busy_is_409(world, monkeypatch):
    from agents.console import checknow

    taken = [checknow._slots.acquire(blocking=False) for _ in range(checknow.MAX_AT_ONCE)]
    try:
        assert all(taken)
        assert _check(world, "admin", "dinkes").status_code == 409
    finally:
        for _ in taken:
            checknow._slots.release()
