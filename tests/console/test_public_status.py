"""The public status page: off by default (404); on, it needs no login and shows the office, each
chosen target's state and 90-day availability, and the announcements, naming no target, OPD or id
unless the operator labels it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers.console import HOSTILE, NOW, OPD_A, OPD_B, make_world
from sqlalchemy import insert
from sqlalchemy.orm import Session

from agents.console import status
from agents.console.app import build_console
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.models import MaintenanceWindow, Sample


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("status")
    w = make_world(tmp, f"sqlite:///{tmp / 'ledger.db'}", report=False)
    with Session(w.engine) as s, s.begin():
        rows = [  # opd-a: 90 of 100 samples up, the last one up; opd-b: the last one down
            {
                "series": records.link_up("opd-a"),
                "at": NOW - timedelta(hours=100 - i),
                "value": float(i >= 10),
            }
            for i in range(100)
        ] + [{"series": records.link_up("opd-b"), "at": NOW - timedelta(minutes=1), "value": 0.0}]
        s.execute(insert(Sample), rows)
        s.add(MaintenanceWindow(target="opd-b", reason="rahasia", starts_at=NOW + timedelta(days=1),
                                ends_at=NOW + timedelta(days=1, hours=2), created_at=NOW))  # fmt: skip
    yield w
    w.close()


def _app(world, settings):
    status._cache.clear()
    return build_console(world.config, world.registry, world.engine, world.clock, public_status=settings)


def _get(app, path="/status"):
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        return client.get(path)


def test_off_by_default(world):
    assert world.client().get("/status").status_code == 404
    assert _get(_app(world, False)).status_code == 404


def test_on_it_names_nothing_internal(world):
    reply = _get(_app(world, True))
    assert reply.status_code == 200
    page = reply.text.split('<main id="main">')[1]
    assert "Dinas Komunikasi dan Informatika Kabupaten Uji" in page
    for internal in ("opd-a", "opd-b", "dinkes", "dishub", OPD_A, OPD_B, "127.0.0", "rahasia"):
        assert internal not in page, internal
    assert "Jaringan 1" in page and "Situs web 4" in page
    assert "Ketersediaan 90 hari: 90,00 %" in page  # opd-a
    assert page.count("Gangguan") >= 1 and "Pemeliharaan terjadwal" in page
    assert 'href="/logout"' not in reply.text and "/login" not in page


def test_chosen_and_labelled_targets_and_announcements(world):
    settings = {
        "targets": [{"link": "opd-a", "label": "Internet Dinas Kesehatan"}, {"website": "dinkes"}],
        "announcements": [{"text": f"Perbaikan kabel {HOSTILE}", "text_en": "Cable repair"}],
        "show_maintenance": False,
    }
    page = _get(_app(world, settings)).text
    assert "Internet Dinas Kesehatan" in page and "Situs web 1" in page and "Jaringan 2" not in page
    assert HOSTILE not in page and "Perbaikan kabel &lt;script&gt;" in page
    assert "Ketersediaan 90 hari: 100,00 %" in page  # dinkes: its one crawl measured it
    assert "Pemeliharaan terjadwal" not in page
    named = _get(_app(world, {"targets": [{"link": "opd-b"}], "show_names": True})).text
    assert "opd-b" in named and "Gangguan" in named


def test_an_unknown_target_is_refused_at_start(world):
    with pytest.raises(InputError, match=r"public_status.targets\[0\].link: no targets.links id 'nope'"):
        _app(world, {"targets": [{"link": "nope"}]})
