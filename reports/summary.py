"""The report's summary tiles: the figures a Kepala Bidang reads first, for every rendering."""

from __future__ import annotations

from collections.abc import Mapping

from .data import WeeklyReport
from .fmt import Formatter


def tiles(report: WeeklyReport, f: Formatter, t: Mapping[str, str]) -> list[dict[str, str]]:
    """The figures a Kepala Bidang reads first. "-" where nothing was measured, never a zero."""
    web = report.web
    checked = sum(v for k, v in web.counts.items() if k != "no_data")
    done = sum(r.done for r in report.steps.rows)
    planned = sum(r.done + r.skipped + r.errors for r in report.steps.rows)
    judged = [(r.on_time, r.on_time + r.breached) for r in report.cases.sla]
    on_time, total = sum(a for a, _ in judged), sum(b for _, b in judged)
    measured_links = [r for r in report.links if r.samples]
    return [
        {"label": t["s_sites"], "value": f"{web.counts.get('ok', 0)} / {checked}" if checked else "-"},
        {"label": t["s_uptime"], "value": f.pct(report.mean_uptime_pct, 2)},
        {"label": t["s_outages"], "value": str(len(report.outages)) if measured_links else "-"},
        {"label": t["s_cases"], "value": f"{report.cases.opened} / {report.cases.closed}"},
        {"label": t["s_sla"], "value": f.pct(on_time / total * 100, 0) if total else "-"},
        {"label": t["s_steps"], "value": f"{done} / {planned}" if planned else "-"},
    ]
