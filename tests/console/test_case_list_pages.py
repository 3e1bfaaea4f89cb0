"""Kasus in pages: a province's "Semua" is hundreds of cases refreshed every minute, so the list comes
100 at a time, the most urgent first, and the pager keeps the filters; the htmx refresh swaps the
page it is on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers.console import NOW, make_world
from sqlalchemy.orm import Session

from agents.console.pages import cases as case_pages
from sop_registry.ledger import cases as engine_cases


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("case-pages")
    w = make_world(tmp, f"sqlite:///{tmp / 'ledger.db'}", report=False)
    with Session(w.engine) as s, s.begin():  # five manual procedures beside the world's three cases
        for i in range(5):
            engine_cases.open_manual(
                s,
                w.registry["kaltim-pemantik"],
                title=f"Permohonan {i}",
                target=f"pemantik-{i}",
                at=NOW - timedelta(hours=i + 1),
                by="uji",
                policy=w.config.case_policy(),
            )
    w.admin = w.login("admin")[0]
    yield w
    w.close()


def _ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/cases/(\d+)">', page)]


def test_the_list_comes_in_pages_in_the_same_order(world, monkeypatch):
    whole = _ids(world.admin.get("/cases?state=all").text)
    assert len(whole) == 8
    monkeypatch.setattr(case_pages, "PAGE_SIZE", 3)
    pages = [world.admin.get(f"/cases?state=all&page={k}").text for k in (1, 2, 3)]
    assert [i for p in pages for i in _ids(p)] == whole  # the most urgent first, page after page
    assert "8 kasus · Halaman 1 dari 3" in pages[0]
    assert 'rel="next" href="/cases?state=all&amp;page=2"' in pages[0] and 'rel="prev"' not in pages[0]
    assert 'rel="prev" href="/cases?state=all&amp;page=2"' in pages[2] and 'rel="next"' not in pages[2]
    assert _ids(world.admin.get("/cases?state=all&page=77").text) == _ids(pages[2])  # the last page
    assert _ids(world.admin.get("/cases?state=all&page=x").text) == _ids(pages[0])


def test_the_htmx_refresh_keeps_its_page_and_filters(world, monkeypatch):
    monkeypatch.setattr(case_pages, "PAGE_SIZE", 3)
    path = "/cases?state=all&sop=kaltim-pemantik&page=2"
    fragment = world.admin.get(path, headers={"HX-Request": "true"}).text
    assert fragment.startswith('<div id="case-rows"') and f'hx-get="{path.replace("&", "&amp;")}"' in fragment
    assert len(_ids(fragment)) == 2 and "5 kasus · Halaman 2 dari 2" in fragment
    assert 'rel="prev" href="/cases?state=all&amp;sop=kaltim-pemantik"' in fragment


def test_one_page_has_no_pager(world):
    page = world.admin.get("/cases?state=all").text
    assert 'class="pager"' not in page and "8 kasus</p>" in page
