"""Tautan shows a queue-bound link's MikroTik queue: its name, its max-limit as last read, the p95
against it and the saturations (our cap, not the provider's), in the weekly report's words. The
figures are the report's LinkRow (tests/reports/test_report_queues.py fills them from the real agent);
here one of the report tests' links is given a queue."""

from __future__ import annotations

import dataclasses

import pytest
from helpers.console_week import make_week_world

from agents.console import home


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home._cache.clear()
    tmp = tmp_path_factory.mktemp("links-queue")
    w = make_week_world(tmp, f"sqlite:///{tmp / 'ledger.db'}")
    w.admin = w.login("admin")
    yield w
    w.engine.dispose()
    home._cache.clear()


def _queued(monkeypatch, **fields) -> None:
    real = home.week_report

    def report(*args, **kwargs):
        out = real(*args, **kwargs)
        rows = [
            dataclasses.replace(r, queue="opd-dinkes", **fields) if r.link_id == "link-dinkes" else r
            for r in out.links
        ]
        return dataclasses.replace(out, links=rows)

    monkeypatch.setattr(home, "week_report", report)


def test_a_queue_bound_link_shows_its_queue_limit_and_saturation(world, monkeypatch):
    _queued(monkeypatch, queue_limit_down_mbps=40.0, queue_limit_up_mbps=20.0, queue_saturated=3)
    page = world.admin.get("/links?week=2026-W47").text
    # p95 45 Mbps (the report tests' week) against a 40 Mbps queue: 112 %.
    assert "Antrean opd-dinkes: 40 / 20 Mbps · P95 / batas antrean (%) 112" in page
    assert "dibatasi antrean sendiri (3)" in page
    assert page.count("Antrean ") == 1  # link-disdik is bound to an interface: no queue line


def test_a_queue_whose_limit_was_never_read_says_so(world, monkeypatch):
    _queued(monkeypatch)
    page = world.admin.get("/links?week=2026-W47").text
    assert "Antrean opd-dinkes: batas tidak terbaca · P95 / batas antrean (%) -" in page
    assert "dibatasi antrean sendiri" not in page
