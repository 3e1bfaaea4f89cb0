"""Turn what a crawl gathered into a status and findings. Pure: evidence and `now` in."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..finding import worst
from .dates import is_future
from .inject.evaluate import injection_findings
from .model import SOURCE_RANK, Dated, Finding, SiteResult, SiteSpec

if TYPE_CHECKING:
    from .crawl import Evidence

# Fatal fetch errors and what they mean for the site, as finding codes.
_FATAL_CODES = {
    "timeout": "site_timeout",
    "connect_failed": "site_unreachable",
    "dns_failed": "site_unreachable",
    "tls_failed": "site_unreachable",
    "protocol_error": "site_unreachable",
    "bad_encoding": "site_unreachable",
    "redirect_loop": "redirect_loop",
    "too_many_redirects": "redirect_loop",
    "redirect_invalid": "redirect_invalid",  # file://, javascript: ...: not a loop
    "redirect_refused": "redirect_refused",  # to an address class the site is not in (SSRF)
    "address_refused": "redirect_refused",
    "http_error": "site_http_error",
    "not_html": "site_not_html",
    "robots_disallowed": "robots_disallowed",
    "invalid_url": "site_url_invalid",
}


def age_days(when: datetime, now: datetime, tz: tzinfo) -> int:
    """Whole calendar days between the item's local date and today's, as a person counts them."""
    return max(0, (now.astimezone(tz).date() - when.astimezone(tz).date()).days)


# At equal rank, the source listed first in SOURCE_RANK (wp-json before feed, ...).
_SOURCE_ORDER = {source: -i for i, source in enumerate(SOURCE_RANK)}


def newest(items: list[Dated]) -> Dated | None:
    # Newest first; at equal time the more trustworthy source names the item. The rest of the key
    # makes the choice independent of which response arrived first: WordPress's wp-json and its feed
    # give the same instant for the same post, and under load the feed sometimes answered first
    # (bench_web, 1 of 1,000 sites named "feed" in a crowd and "wp-json" alone).
    return max(
        items,
        key=lambda d: (d.when, SOURCE_RANK[d.source], _SOURCE_ORDER[d.source], d.url or ""),
        default=None,
    )


def usable(items: list[Dated], kind: str, now: datetime, tz: tzinfo) -> tuple[list[Dated], int]:
    """Dates of `kind` that can be publication dates, and how many future ones were refused."""
    kept, future = [], 0
    for d in items:
        if d.kind != kind:
            continue
        if is_future(d.when, d.precision, now, tz):
            future += 1
            continue
        kept.append(d)
    return kept, future


def _completeness(spec: SiteSpec, ev: Evidence) -> tuple[dict, Finding]:
    names = list(spec.sections)
    present = [n for n in names if n in ev.sections]
    missing = [n for n in names if n not in ev.sections]
    score = round(100 * len(present) / len(names)) if names else 100
    info = {"score": score, "present": present, "missing": missing}
    observed = {"value": len(present), "unit": "section"}
    limit = {"value": len(names), "unit": "section"}
    if missing:
        return info, Finding(
            "content_incomplete",
            "warn",
            {"present": len(present), "total": len(names), "missing": ", ".join(missing)},
            observed,
            limit,
        )
    return info, Finding("content_complete", "ok", {"total": len(names)}, observed, limit)


def evaluate(spec: SiteSpec, ev: Evidence, now: datetime) -> SiteResult:
    """Freshness, completeness and (with the watch on) injected content and defacement: a site that
    carries someone else's content is CRIT whatever its dates say."""
    if ev.injection_only and ev.fatal is None:
        result = SiteResult(spec.url, "ok", now, final_url=ev.final_url, timezone=spec.timezone)
        result.entry_url = ev.entry_url
    else:
        result = _freshness(spec, ev, now)
    if ev.injection is not None:
        found = injection_findings(ev.injection)
        result.findings.extend(found)
        if any(f.status == "crit" for f in found):
            result.status = worst([result.status, "crit"])
        result.injection = {
            "checked": ev.injection.checked,
            "views": ev.injection.views,
            "skipped": ev.injection.skipped,
            "requests": ev.injection.requests,
            "planted": len(ev.injection.planted),
        }
    return result


def _freshness(spec: SiteSpec, ev: Evidence, now: datetime) -> SiteResult:
    tz = ZoneInfo(spec.timezone)
    th = spec.thresholds
    result = SiteResult(
        target=spec.url,
        status="unknown",
        checked_at=now,
        cms=ev.cms,
        final_url=ev.final_url,
        timezone=spec.timezone,
        entry_url=ev.entry_url,
    )
    if ev.fatal is not None:
        code = _FATAL_CODES.get(ev.fatal.code, "site_unreachable")
        result.findings.append(
            Finding(
                code,
                "unknown",
                {"detail": ev.fatal.detail, "status": ev.fatal.status, "target": ev.fatal.target},
                url=ev.fatal.url,
            )
        )
        return result
    if ev.maintenance:
        result.findings.append(
            Finding("site_maintenance", "unknown", {"detail": ev.maintenance}, url=ev.final_url)
        )
        return result
    result.completeness, completeness = _completeness(spec, ev)

    berita, future = usable(ev.dated, "berita", now, tz)
    latest = newest(berita)
    if latest is None:
        code = "budget_exceeded" if ev.budget_exceeded else "no_date_found"
        tried = ", ".join(dict.fromkeys(ev.sources_tried))
        observed = {"tried": tried, "problems": "; ".join(ev.problems[:5])}
        if ev.javascript_shell and not ev.rendered and not ev.budget_exceeded:
            # Not "no date": the page is a shell only a browser fills (Nuxt, Next, Vite ...).
            code, observed = "needs_javascript", {**observed, "framework": ev.javascript_shell}
        result.findings.append(Finding(code, "unknown", observed, url=ev.final_url))
    else:
        result.latest = latest
        result.age_days = age_days(latest.when, now, tz)
        observed = {"value": result.age_days, "unit": "day"}
        if result.age_days <= th.warn_after_days:
            result.status = "ok"
            finding = Finding(
                "content_fresh",
                "ok",
                {"age": result.age_days, "limit": th.warn_after_days},
                observed,
                {"value": th.warn_after_days, "unit": "day"},
                latest.url,
            )
        else:
            result.status = "warn" if result.age_days <= th.crit_after_days else "crit"
            limit = th.warn_after_days if result.status == "warn" else th.crit_after_days
            finding = Finding(
                "content_stale",
                result.status,
                {"age": result.age_days, "limit": limit},
                observed,
                {"value": limit, "unit": "day"},
                latest.url,
            )
        finding.params.update(source=latest.source, future_ignored=future)
        if ev.entry_url:
            finding.params["via"] = "splash"
        result.findings.append(finding)

    agenda_items, _ = usable(ev.dated, "agenda", now, tz)
    result.agenda = newest(agenda_items)
    result.agenda_found = bool(ev.agenda_page or result.agenda)
    if result.agenda is not None:
        agenda_age = age_days(result.agenda.when, now, tz)
        status = "ok" if agenda_age <= th.agenda_warn_after_days else "warn"
        result.findings.append(
            Finding(
                "agenda_fresh" if status == "ok" else "agenda_stale",
                status,
                {"age": agenda_age, "limit": th.agenda_warn_after_days},
                {"value": agenda_age, "unit": "day"},
                {"value": th.agenda_warn_after_days, "unit": "day"},
                result.agenda.url,
            )
        )
    result.findings.append(completeness)
    return result
