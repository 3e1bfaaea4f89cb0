"""Tautan on the report tests' known week (2026-W47): the heat map and the bandwidth chart are SVG from
the report's own figures, outages, the under-delivery finding, the case held for Telkom; an OPD admin
sees its own link only."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from helpers.console_week import TICKET, make_week_world

from agents.console import home, links

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home._cache.clear()
    tmp = tmp_path_factory.mktemp("links")
    w = make_week_world(tmp, f"sqlite:///{tmp / 'ledger.db'}")
    w.admin = w.login("admin")
    yield w
    w.engine.dispose()


def _svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg class=\"(?:heat|spark)\".*?</svg>", page, re.S)]


def test_the_heat_map_is_the_reports_daily_availability(world):
    page = world.admin.get("/links?week=2026-W47").text
    heat = _svgs(page)[0]
    cells = heat.findall(f"{SVG}rect")
    assert len(cells) == 14  # two links, seven days
    dinkes = [(c.get("fill"), c.find(f"{SVG}title").text) for c in cells[:7]]
    # Tuesday 135/144 = 93.75 % (an outage 10.00-11.30), Sunday 142/144 = 98.61 %
    assert dinkes[1] == (links.shade(93.75), "link-dinkes Sel 17/11: 93,75 %")
    assert dinkes[6][0] == links.shade(98.61) and dinkes[0][0] == "#1e7b34"
    assert {c.get("fill") for c in cells[7:]} == {"#e3e7eb"}  # link-disdik: no samples, not 0 %


def test_bandwidth_against_the_contract(world):
    page = world.admin.get("/links?week=2026-W47").text
    assert "rata-rata 21,5, p95 45,0 dari 50" in page and "90 % dari kontrak (p95)" in page
    assert "1× di bawah kontrak" in page
    spark = _svgs(page)[1]
    dashed = spark.find(f"{SVG}line")
    assert dashed.get("stroke-dasharray")
    assert spark.findall(f"{SVG}polyline"), "the week's download per 6 hours"


def test_the_chart_draws_upload_beside_download_each_against_its_contract(world):
    spark = _svgs(world.admin.get("/links?week=2026-W47").text)[1]  # link-dinkes: 50/20 Mbps
    lines = {p.get("class"): p.get("points").split() for p in spark.findall(f"{SVG}polyline")}
    assert set(lines) == {"down", "up"} and len(lines["up"]) == len(lines["down"]) == 28  # 6-hour buckets

    def pct(point: str) -> float:  # back from the SVG's y to % of the contract (the chart tops at 120 %)
        return round((links.SPARK_H - float(point.split(",")[1])) / links.SPARK_H * 120)

    assert {pct(p) for p in lines["up"]} == {25}  # 5 of 20 Mbps all week
    assert pct(lines["down"][0]) == 40 and pct(lines["down"][-1]) == 90  # 20 of 50, then 45 at the end


def test_outages_under_delivery_and_the_providers_ticket(world):
    page = world.admin.get("/links?week=2026-W47").text
    assert 'Gangguan <span class="count">(2)' in page and "masih putus" in page
    assert "Lalu lintas datar 20 Mbps" in page
    assert f"/cases/{world.held_case}" in page and "Telkom" in page
    assert TICKET not in page and "TLK-2026-&lt;b&gt;77&lt;/b&gt;" in page


def test_an_opd_admin_sees_its_own_link_only(world):
    page = world.login("opddik").get("/links?week=2026-W47").text
    assert "link-disdik" in page and "link-dinkes" not in page and "Dinas Kesehatan" not in page
    assert f"/cases/{world.held_case}" not in page and "Lalu lintas datar" not in page


@pytest.mark.parametrize("week", ["2026-W99", "bogus", "2026-W47x"])
def test_a_bad_week_is_404(world, week):
    assert world.admin.get(f"/links?week={week}").status_code == 404
