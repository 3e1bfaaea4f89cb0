"""DNS/IP and Sertifikat on the report tests' known week: the drift rows as the report reads them, with
first seen and fixed; the certificate expiring in 12 days, then renewed (fixed); OPD scope."""

from __future__ import annotations

import re

import pytest
from helpers import reportfill
from helpers.console_week import make_week_world
from sqlalchemy.orm import Session

from agents.kinds import tls as tls_kind
from checks.tls.evaluate import evaluate as tls_evaluate
from checks.tls.model import TlsTarget, TlsThresholds


@pytest.fixture
def world(tmp_path):
    w = make_week_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")
    yield w
    w.engine.dispose()


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)) for r in re.findall(r"<tr.*?</tr>", body, re.S)]


def test_dns_drift_first_seen_and_fixed(world):
    rows = _rows(world.login("admin").get("/dns").text)
    assert len(rows) == 2
    orphan, wrong = rows
    assert "lama.kab.test" in orphan and "16 November 2026 09.00 WITA" in orphan and "belum" in orphan
    assert "portal.kab.test" in wrong and "diperbaiki 18 November 2026 09.00 WITA" in wrong


def test_dns_for_an_opd_admin_only_its_own(world):
    page = world.login("opdkes").get("/dns").text
    assert "portal.kab.test" not in page and "lama.kab.test" not in page


def test_a_certificate_expiring_then_renewed(world):
    client = world.login("admin")
    rows = _rows(client.get("/certificates").text)
    assert len(rows) == 1 and "dinkes.kab.test:443" in rows[0] and "12 hari" in rows[0]
    assert "19 November 2026 06.00 WITA" in rows[0] and "belum" in rows[0]
    assert world.login("opddik").get("/certificates").text.count("dinkes.kab.test") == 0
    at = reportfill.wita(2026, 11, 21, 6, 0)
    renewed = tls_evaluate(
        TlsTarget("dinkes.kab.test", 443, "dinkes.kab.test"),
        reportfill.tls_probe(["dinkes.kab.test"], reportfill.wita(2027, 3, 1, 12, 0)),
        at,
        TlsThresholds(),
    )
    with Session(world.engine) as s, s.begin():
        reportfill._run(
            s, world.registry, "polman-19", "tls_cert", at, tls_kind.to_findings(renewed, "Dinas Kesehatan")
        )
    page = client.get("/certificates").text
    assert _rows(page) == []
    fixed = page.split("Sudah diperbaiki dalam rentang ini")[1]
    assert "dinkes.kab.test:443" in fixed and "baik lagi 21 November 2026 06.00 WITA" in fixed
    assert "dinkes.kab.test" in world.login("opdkes").get("/certificates").text


@pytest.mark.parametrize("path", ["/dns?days=7", "/dns?days=bogus", "/certificates?days=90"])
def test_windows(world, path):
    assert world.login("admin").get(path).status_code == 200
