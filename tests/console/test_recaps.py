"""The crawls' recaps are parsed once per console (agents/console/recaps.py): a second load of
Website OPD reads no recap again, a new crawl is seen at once, and a run id SQLite hands out again
(after the newest run was deleted) is not mistaken for the crawl that had it before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers.console import NOW, make_world, write_crawl
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import Finding, StepRun


@pytest.fixture
def world(tmp_path):
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    w.admin = w.login("admin")[0]
    yield w
    w.close()


def _statements(world, path: str) -> tuple[str, list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(world.engine, "before_cursor_execute", count)
    try:
        page = world.admin.get(path).text
    finally:
        event.remove(world.engine, "before_cursor_execute", count)
    return page, [s for s in seen if "step_runs.details" in s]


def _age(page: str, site: str) -> str:
    row = re.search(rf'<td[^>]*><a href="/websites/{site}">.*?</tr>', page, re.S).group(0)
    return re.findall(r"<td[^>]*>(\d+ hari|-)</td>", row)[0]


def test_a_crawl_is_read_once_and_a_new_one_at_once(world):
    page, reads = _statements(world, "/websites")
    assert reads and _age(page, "dishub") == "45 hari"
    page, reads = _statements(world, "/websites")
    assert reads == [] and _age(page, "dishub") == "45 hari"  # nothing parsed again
    write_crawl(world.engine, world.config, world.registry, NOW - timedelta(hours=1), ages={"dishub": 2})
    page, reads = _statements(world, "/websites")
    assert len(reads) == 1 and _age(page, "dishub") == "2 hari"  # the new crawl only
    strip = re.findall(r'<li class="cell status-(\w+)"', world.admin.get("/websites/dishub").text)
    assert strip[-1] == "ok"  # the week's later crawl wins on the site's strip too


def test_an_id_given_again_is_another_crawl(world):
    first = _statements(world, "/websites")[0]
    assert _age(first, "dishub") == "45 hari"
    with Session(world.engine) as s, s.begin():
        newest = s.scalars(select(StepRun).order_by(StepRun.id.desc()).limit(1)).one()
        old_id = newest.id
        s.execute(delete(Finding).where(Finding.step_run_id == old_id))
        s.execute(delete(StepRun).where(StepRun.id == old_id))
    write_crawl(world.engine, world.config, world.registry, NOW - timedelta(hours=2), ages={"dishub": 9})
    with Session(world.engine) as s:
        assert s.scalar(select(StepRun.id).order_by(StepRun.id.desc()).limit(1)) == old_id  # SQLite reused it
    assert _age(_statements(world, "/websites")[0], "dishub") == "9 hari"


def test_an_unreadable_recap_row_costs_that_row_not_the_page(world):
    with Session(world.engine) as s, s.begin():
        run = s.scalars(select(StepRun).order_by(StepRun.started_at.desc()).limit(1)).one()
        recap = [dict(r) for r in run.details["recap"]]
        recap.append({"opd": "Dinas Lain", "status": "ok"})  # no url: not a WebRecapRow
        recap.append("not even a row")
        run.details = {**run.details, "recap": recap}
    page = world.admin.get("/websites")
    assert page.status_code == 200 and _age(page.text, "dishub") == "45 hari"
    assert world.admin.get("/websites/dishub").status_code == 200
