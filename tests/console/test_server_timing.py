"""Server-Timing: each console response says how long the server took and how much of it was SQL,
counted per request (two requests at once each count their own statements)."""

from __future__ import annotations

import re
import threading

import pytest
from helpers.console import make_world
from sqlalchemy import event


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("timing")
    w = make_world(tmp, f"sqlite:///{tmp / 'ledger.db'}", report=False)
    w.admin = w.login("admin")[0]
    yield w
    w.close()


def _parse(header: str) -> dict[str, tuple[float, str | None]]:
    out = {}
    for part in header.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        values = dict(p.split("=", 1) for p in params)
        out[name] = (float(values["dur"]), values.get("desc", "").strip('"') or None)
    return out


def test_a_page_says_its_server_and_sql_time(world):
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(world.engine, "before_cursor_execute", count)
    try:
        reply = world.admin.get("/cases?state=all")
    finally:
        event.remove(world.engine, "before_cursor_execute", count)
    timing = _parse(reply.headers["server-timing"])
    assert set(timing) == {"db", "app", "total"}
    queries = int(re.match(r"(\d+) SQL", timing["db"][1]).group(1))
    assert queries == len(seen) > 0  # every statement of this request, and only those
    db, app, total = timing["db"][0], timing["app"][0], timing["total"][0]
    assert db > 0 and app > 0 and abs(db + app - total) < 0.02


def test_an_api_reply_and_a_redirect_have_it_too(world):
    client = world.client()
    assert "server-timing" in client.get("/cases", follow_redirects=False).headers  # to /login
    assert "server-timing" in client.get("/api/v1/cases").headers  # 401
    client.close()


def test_two_requests_at_once_count_their_own_statements(world):
    alone = {}
    for path in ("/cases?state=all", "/maintenance"):
        alone[path] = _parse(world.admin.get(path).headers["server-timing"])["db"][1]
    together: dict[str, list[str]] = {path: [] for path in alone}

    def load(path: str) -> None:
        client = world.client()
        world.login("admin", client=client)
        for _ in range(15):
            together[path].append(_parse(client.get(path).headers["server-timing"])["db"][1])
        client.close()

    threads = [threading.Thread(target=load, args=(path,)) for path in alone]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for path, descs in together.items():
        assert set(descs) == {alone[path]}, (path, descs)
