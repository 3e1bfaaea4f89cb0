"""Website OPD's list as the issue asks for it: each row's klaster, agenda, completeness and
twelve-week strip, the klaster filter and the pages of a long list. The crawls are written by the web
agent's own writers (helpers/console.write_crawl: the real evaluation, the real recap rows) and read back
by the console and the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers.console import NOW, SITES, make_world, write_crawl

from agents.config.targets import Website
from agents.console import sites

GROUPED = "Klaster Uji"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("websites-list")
    websites = [
        {"id": key, "opd": opd, "url": url, **({"group": GROUPED} if key == "disdik" else {})}
        for key, (opd, url, _age) in SITES.items()
    ]
    w = make_world(tmp, f"sqlite:///{tmp / 'ledger.db'}", report=False, targets={"websites": websites})
    write_crawl(w.engine, w.config, w.registry, NOW - timedelta(weeks=3, hours=7), ages={"dishub": 2})
    write_crawl(w.engine, w.config, w.registry, NOW - timedelta(weeks=1, hours=7), ages={"dishub": 38})
    # the newest crawl: dinkes' agenda 5 days old, dishub's 60 (its limit is 30), disdik has none;
    # dishub's home page links to neither its profil nor its PPID
    write_crawl(
        w.engine,
        w.config,
        w.registry,
        NOW - timedelta(hours=6),
        agendas={"dinkes": 5, "dishub": 60},
        missing={"dishub": ("profil", "ppid"), "disdik": ("ppid",)},
    )
    w.admin = w.login("admin")[0]
    w.opda = w.login("opda")[0]
    yield w
    w.close()


def _row(page: str, site: str) -> str:
    found = re.search(rf'<tr class="bucket-\w+">\s*<td[^>]*><a href="/websites/{site}">.*?</tr>', page, re.S)
    assert found, site
    return found.group(0)


def _listed(page: str) -> list[str]:
    return re.findall(r'<td[^>]*><a href="/websites/(\w+)">', page)


@pytest.mark.parametrize(
    "opd,group,klaster",
    [
        ("Dinas Kesehatan", None, "Dinas Daerah"),
        ("Diskominfo", None, "Dinas Daerah"),
        ("Disdukcapil Kabupaten Majene", None, "Dinas Daerah"),
        ("Badan Pendapatan Daerah", None, "Badan Daerah"),
        ("BAPPEDA", None, "Badan Daerah"),
        ("BPBD Kabupaten Mamuju", None, "Badan Daerah"),
        ("Kecamatan Tinambung", None, "Kecamatan"),
        ("Distrik Abepura", None, "Kecamatan"),
        ("Desa Sukamaju", None, "Kelurahan/Desa"),
        ("Kelurahan Baru", None, "Kelurahan/Desa"),
        ("Sekretariat Daerah", None, None),
        ("RSUD Polewali", None, None),
        ("Dinas Kesehatan", "Klaster Kesehatan", "Klaster Kesehatan"),
    ],
)
def test_the_klaster_is_the_sites_group_or_read_off_the_opds_name(opd, group, klaster):
    site = Website(id="x", opd=opd, url="http://127.0.0.1:9/", group=group)
    assert sites.klaster_of(site) == klaster


def test_a_row_shows_klaster_agenda_completeness_and_its_strip(world):
    page = world.admin.get("/websites").text
    dinkes, dishub, disdik, arsip = (_row(page, s) for s in ("dinkes", "dishub", "disdik", "arsip"))
    assert "Dinas Daerah" in dinkes and GROUPED in disdik and GROUPED not in dinkes
    # the agenda: its day in office time and its age at the crawl; dishub's is past its 30-day limit
    assert "5 hari" in dinkes and 'class="meta late"' not in dinkes
    assert "60 hari" in dishub and 'class="meta late"' in dishub
    assert "tidak ada agenda" in disdik  # the crawl looked and found none
    # completeness from the crawl's sections: dishub lacks two of four, disdik one, dinkes none
    assert '<span class="pct short">50%</span>' in dishub and "belum ada: profil, ppid" in dishub
    assert '<span class="pct short">75%</span>' in disdik and "belum ada: ppid" in disdik
    assert '<span class="pct">100%</span>' in dinkes
    # the strip: twelve weeks, oldest first; never crawled is twelve greys
    strip = re.findall(r'<i class="status-(\w+)" title="(\d{4}-W\d\d)', dishub)
    assert len(strip) == 12 and strip[-1][1] == "2026-W49"
    assert [s for s, _w in strip[-4:]] == ["ok", "none", "crit", "crit"]
    assert re.findall(r'<i class="status-(\w+)"', arsip) == ["none"] * 12


def test_the_lists_strip_is_the_site_pages_strip(world):
    row = _row(world.admin.get("/websites").text, "dishub")
    listed = re.findall(r'<i class="status-(\w+)" title="(\d{4}-W\d\d)', row)
    page = world.admin.get("/websites/dishub").text
    one = re.findall(r'<li class="cell status-(\w+)" title="(\d{4}-W\d\d)', page)
    assert listed == one and len(one) == 12


def test_the_site_page_shows_agenda_completeness_and_klaster(world):
    page = world.admin.get("/websites/dishub").text
    assert "Dinas Daerah" in page
    assert "60 hari" in page and "agenda lebih dari 30 hari" in page
    assert "50%" in page and "belum ada: profil, ppid" in page
    english = world.client()
    world.login("admin", client=english)
    english.cookies.set("sigap_lang", "en")
    page = english.get("/websites/dishub").text
    assert "agenda older than 30 days" in page and "missing: profil, ppid" in page
    english.close()


@pytest.mark.parametrize(
    "query,shown",
    [
        (f"?group={GROUPED.replace(' ', '+')}", {"disdik"}),
        ("?group=Dinas+Daerah", {"dinkes", "arsip", "dishub"}),
        ("?group=none", set()),
        ("?group=Dinas+Daerah&bucket=passive", {"dishub"}),
        ("?group=" + "x" * 500, set()),
    ],
)
def test_the_klaster_filter(world, query, shown):
    page = world.admin.get("/websites" + query).text
    assert set(_listed(page)) == shown
    assert f'<option value="{GROUPED}"' in page and '<option value="Dinas Daerah"' in page


def test_a_long_list_comes_in_pages_that_keep_the_filters(world, monkeypatch):
    monkeypatch.setattr(sites, "PAGE_SIZE", 2)
    everyone = _listed(world.admin.get("/websites").text)
    assert len(everyone) == 2
    first = world.admin.get("/websites?group=Dinas+Daerah").text
    second = world.admin.get("/websites?group=Dinas+Daerah&page=2").text
    assert len(_listed(first)) == 2 and len(_listed(second)) == 1
    assert set(_listed(first)) | set(_listed(second)) == {"dinkes", "arsip", "dishub"}
    assert 'rel="next" href="/websites?group=Dinas+Daerah&amp;page=2"' in first
    assert 'rel="prev" href="/websites?group=Dinas+Daerah"' in second and 'rel="next"' not in second
    assert "1–2 dari 3 situs (semua: 4)" in first and "Halaman 2 dari 2" in second
    # a page past the end is the last page; one that is not a number is the first
    assert _listed(world.admin.get("/websites?group=Dinas+Daerah&page=99").text) == _listed(second)
    assert _listed(world.admin.get("/websites?group=Dinas+Daerah&page=-1x").text) == _listed(first)


def test_an_opd_admin_sees_only_its_own_klasters(world):
    page = world.opda.get("/websites").text
    assert set(_listed(page)) == {"dinkes", "arsip"}
    assert GROUPED not in page  # disdik is another OPD's: its klaster is not offered either


def test_the_api_carries_the_same_fields(world):
    from sqlalchemy.orm import Session

    from agents.console import accounts

    with Session(world.engine) as s, s.begin():
        token = accounts.new_token(s, accounts.find_user(s, "admin"), "read", NOW)[0]
    client = world.client()
    reply = client.get("/api/v1/websites", headers={"Authorization": f"Bearer {token}"})
    client.close()
    by_id = {w["id"]: w for w in reply.json()["websites"]}
    dishub, disdik = by_id["dishub"], by_id["disdik"]
    assert disdik["group"] == GROUPED and dishub["group"] == "Dinas Daerah"
    assert dishub["agenda_age_days"] == 60 and dishub["agenda_found"] is True
    assert disdik["agenda_found"] is False and disdik["agenda_updated"] is None
    assert dishub["completeness"] == 50 and dishub["missing_sections"] == ["profil", "ppid"]
    assert [c["status"] for c in dishub["history"][-4:]] == ["ok", None, "crit", "crit"]
    assert len(by_id["arsip"]["history"]) == 12 and by_id["arsip"]["completeness"] is None
