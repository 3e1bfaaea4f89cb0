"""The website freshness agent: the Monday crawl of every OPD site as the output of its SOP step."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import httpx

from checks.web import SiteResult, SiteSpec, Thresholds, crawl_sites, result_as_dict
from checks.web.messages import render
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..clikit import bad_input_exits
from ..config import Config, FreshnessLimits, Website, runs_here
from ..config.layers import Layer, Layered, operator_defaults
from ..outcome import AgentOutcome, CaseIntent, count_by
from ..outputs import write_csv
from .spec import Column, KindSpec, RunContext, status_column, table, target_column

# Site problems a person must act on. content_incomplete is reported, not cased: it is the
# monthly monev's business (Polewali Mandar 07), not an outage.
_CASE_CODES = {
    "content_stale",
    "site_timeout",
    "site_unreachable",
    "redirect_loop",
    "redirect_invalid",
    "redirect_refused",
    "site_http_error",
    "site_not_html",
    "site_maintenance",
    "no_date_found",
}
_LIMIT_KEYS = ("warn_after_days", "crit_after_days", "agenda_warn_after_days")
CASE_ROLE = "Admin Website OPD"
# Injected content and defacement (issue 21): a case for the OPD's admin (remove it) and one in
# parallel for the office's security role (web.injection.security_role: how they got in), each on
# the website-monitoring step, resolved once two crawls in a row find the site clean.
INJECTION_CODES = ("content_injected", "site_defaced")
INJECTION_TARGET = "{url}#konten-disusupi"
SECURITY_TARGET = "{url}#keamanan"
CLEAN_CRAWLS_TO_RESOLVE = 2


def site_layers(config: Config, site: Website) -> list[Layer]:
    """The per-target layers of a site: its OPD's limits (`web.opd`), then its own keys."""
    opd = config.web.opd.get(site.opd, FreshnessLimits())
    return [
        Layer(f"web.opd.{site.opd}", opd.model_dump(), f"web.opd.{site.opd}"),
        Layer(name := f"targets.websites.{site.id}", site.model_dump(include=set(_LIMIT_KEYS)), name),
    ]


def thresholds_for(site: Website, config: Config, base: Layered | None = None) -> Thresholds:
    """The step's layered limits (or the web section's over the defaults), then the OPD, then the site."""
    if base is None:
        base = operator_defaults(Thresholds, "web", config.web)
    return base.over(site_layers(config, site)).settings()


def _per_target(config: Config) -> list[tuple[str, list[Layer]]]:
    return [(site.id, site_layers(config, site)) for site in config.targets.websites]


def site_specs(config: Config, base: Layered | None = None) -> list[tuple[Website, SiteSpec]]:
    """The sites this instance crawls: its probe's, or unlabelled ones."""
    out = []
    for site in config.targets.websites:
        if not runs_here(site.probe, config.probe):
            continue
        spec = SiteSpec(
            url=site.url,
            timezone=config.office.timezone,
            thresholds=thresholds_for(site, config, base),
            respect_robots=not site.owned_by_office,
            sections=dict(config.web.sections),
            render=site.render,
        )
        out.append((site, spec))
    return out


def recap_rows(
    pairs: list[tuple[Website, SiteResult]], config: Config, lang: str
) -> list[records.WebRecapRow]:
    """The "Laporan rekapitulasi hasil monitoring" table: one row per OPD site."""
    rows = []
    for site, result in pairs:
        d = result_as_dict(result, lang)  # the `check web --json` object: one flattening of a result
        latest = datetime.fromisoformat(d["latest_published"]) if d["latest_published"] else None
        completeness = d["completeness"] or {}
        rows.append(
            records.WebRecapRow(
                site_id=site.id,
                opd=site.opd,
                url=site.url,
                status=d["status"],
                latest_published=latest,
                latest_local=config.office.local_text(latest),
                age_days=d["age_days"],
                source=d["source"],
                item_url=d["item_url"],
                title=(result.latest.title or "")[:300] or None if result.latest else None,
                agenda_updated=d["agenda_updated"],
                agenda_found=d["agenda_found"],
                completeness_score=completeness.get("score"),
                missing_sections=completeness.get("missing") or [],
                cms=d["cms"],
                findings=[f["message"] for f in d["findings"] if f["status"] != "ok"],
            )
        )
    return rows


_CSV_HEADERS = {
    "id": [
        "OPD",
        "Situs",
        "Status",
        "Berita terbaru",
        "Umur (hari)",
        "Sumber tanggal",
        "Tautan berita",
        "Agenda terakhir",
        "Kelengkapan (%)",
        "Bagian belum ada",
        "Temuan",
    ],
    "en": [
        "OPD",
        "Site",
        "Status",
        "Newest item",
        "Age (days)",
        "Date source",
        "Item link",
        "Agenda updated",
        "Completeness (%)",
        "Missing sections",
        "Findings",
    ],
}


def write_recap_csv(rows: list[records.WebRecapRow], path: Path, lang: str, config: Config) -> None:
    def line(r: records.WebRecapRow) -> list[Any]:
        return [
            r.opd,
            r.url,
            r.status,
            r.latest_local,
            r.age_days,
            r.source,
            r.item_url,
            config.office.local_text(r.agenda_updated),
            r.completeness_score,
            ", ".join(r.missing_sections),
            "; ".join(r.findings),
        ]

    write_csv(path, _CSV_HEADERS.get(lang, _CSV_HEADERS["id"]), (line(r) for r in rows))


def to_findings(site: Website, result: SiteResult) -> list[FindingRecord]:
    return [
        FindingRecord(
            target=site.url,
            status=f.status,
            code=f.code,
            message_id=render(f, "id"),
            message_en=render(f, "en"),
            observed=f.observed,
            limit=f.limit,
            evidence_url=f.url,
            details={
                "site_id": site.id,
                "opd": site.opd,
                **{k: v for k, v in f.params.items() if v is not None},
            },
        )
        for f in result.findings
    ]


def _case_intent(site: Website, result: SiteResult) -> CaseIntent:
    failing = [f for f in result.findings if f.code in _CASE_CODES and f.status != "ok"]
    if not failing:
        return CaseIntent(target=site.url, failing=False, note=f"situs {site.url} kembali segar/terjangkau")
    title = f"{site.opd}: {render(failing[0], 'id')}"
    admin = site.admin.model_dump(exclude_none=True) if site.admin else None
    return CaseIntent(
        target=site.url,
        failing=True,
        title=title,
        role=CASE_ROLE,
        data={
            "site_id": site.id,
            "opd": site.opd,
            "codes": [f.code for f in failing],
            "status": result.status,
            "age_days": result.age_days,
            "admin": admin,
        },
    )


def injection_cases(
    site: Website, result: SiteResult, memory: dict[str, dict[str, Any]], now: datetime, security_role: str
) -> tuple[list[CaseIntent], dict[str, Any] | None]:
    """The injection cases of one site and what to remember until the next crawl (None: nothing new).

    Found: both cases fail (opened, or updated), and the finding says since when and whether it is
    the same block as before (its hash). Gone: the first clean crawl holds the cases open (spam kits
    come back), the second resolves them. Not checked (the site did not answer): nothing changes."""
    key = f"injection:{site.url}"
    before = memory.get(key) or {}
    if not (result.injection or {}).get("checked"):
        return [], None
    bad = [f for f in result.findings if f.code in INJECTION_CODES and f.status != "ok"]
    targets = (INJECTION_TARGET.format(url=site.url), SECURITY_TARGET.format(url=site.url))
    if bad:
        hashes = sorted({h for f in bad for h in f.params.get("hashes") or []})
        first_seen = before.get("first_seen") if before.get("open") else now.isoformat()
        for f in bad:
            f.params.update(
                first_seen=first_seen, seen_before=bool(set(hashes) & set(before.get("hashes") or []))
            )
        state = {
            "open": True,
            "hashes": hashes,
            "first_seen": first_seen,
            "last_seen": now.isoformat(),
            "clean": 0,
        }
        title = f"{site.opd}: {render(bad[0], 'id')}"
        data = {
            "opd": site.opd,
            "codes": [f.code for f in bad],
            "techniques": next((f.params.get("techniques") for f in bad if f.params.get("techniques")), []),
            "hashes": hashes,
            "first_seen": first_seen,
        }
        admin = site.admin.model_dump(exclude_none=True) if site.admin else None
        return [
            CaseIntent(targets[0], True, title, CASE_ROLE, data={**data, "site_id": site.id, "admin": admin}),
            # No site_id: the OPD's own admin is told once, by the first case; the office's security
            # role works this one.
            CaseIntent(
                targets[1], True, title, security_role, data={**data, "site": site.id, "url": site.url}
            ),
        ], state
    if not before.get("open"):
        return [], None
    clean = int(before.get("clean", 0)) + 1
    state = {**before, "clean": clean, "open": clean < CLEAN_CRAWLS_TO_RESOLVE, "last_clean": now.isoformat()}
    if clean < CLEAN_CRAWLS_TO_RESOLVE:
        return [], state
    note = f"konten sisipan tidak ditemukan lagi di {site.url} dalam {clean} pemantauan berturut-turut"
    return [CaseIntent(target, False, note=note) for target in targets], state


async def run(ctx: RunContext, *, client: httpx.AsyncClient | None = None) -> AgentOutcome:
    config, now, output_path = ctx.config, ctx.now, ctx.output_path
    pairs_spec = site_specs(config, ctx.layered)
    watch = config.web.injection
    results = await crawl_sites(
        [spec for _, spec in pairs_spec], config.web.crawl, now, client=client, watch=watch
    )
    pairs = [(site, result) for (site, _), result in zip(pairs_spec, results, strict=True)]
    lang = config.office.language
    cases = [_case_intent(site, result) for site, result in pairs]
    states: dict[str, dict[str, Any]] = {}
    for site, result in pairs:
        intents, state = injection_cases(site, result, ctx.memory, now, watch.security_role)
        cases.extend(intents)
        if state is not None:
            states[f"injection:{site.url}"] = state
    rows = recap_rows(pairs, config, lang)
    write_recap_csv(rows, output_path, lang, config)
    counts = count_by((r.status for r in results), ("ok", "warn", "crit", "unknown"))
    summary = (
        f"{len(results)} situs dipantau: {counts['ok']} segar, {counts['warn']} peringatan, "
        f"{counts['crit']} kritis, {counts['unknown']} tidak terukur"
    )
    findings = [rec for site, result in pairs for rec in to_findings(site, result)]
    return AgentOutcome(
        findings=findings,
        summary=summary,
        output_kind="laporan_rekapitulasi",
        output_ref=str(output_path),
        details=records.WebRunDetails(counts=counts, recap=rows).as_json(),
        cases=cases,
        states=states,
    )


def _local(key: str) -> Callable[[dict[str, Any], str], str]:
    # The `--json` dates are ISO 8601 in the zone the crawl read them in (the office's, or --timezone).
    def cell(r: dict[str, Any], _lang: str) -> str:
        return datetime.fromisoformat(r[key]).strftime("%Y-%m-%d %H:%M") if r[key] else "-"

    return cell


_DAYS = {"id": "{n} hr", "en": "{n} d"}


def _age(r: dict[str, Any], lang: str) -> str:
    return "-" if r["age_days"] is None else _DAYS.get(lang, _DAYS["id"]).format(n=r["age_days"])


def _complete(r: dict[str, Any], _lang: str) -> str:
    return f"{r['completeness']['score']}%" if r.get("completeness") else "-"


def _injection_cell(key: str) -> Callable[[dict[str, Any], str], str]:
    """From the row's content_injected/site_defaced finding: its techniques or who saw it."""

    def cell(r: dict[str, Any], _lang: str) -> str:
        for f in r["findings"]:
            evidence = f.get("evidence") or {}
            if f["code"] == "site_defaced" and key == "techniques":
                return "deface"
            if evidence.get(key):
                return ",".join(evidence[key])
        return "-" if (r.get("injection") or {}).get("checked") else "?"

    return cell


INJECTION_COLUMNS = (
    status_column(),
    Column("Teknik", "Technique", _injection_cell("techniques")),
    Column("Terlihat oleh", "Seen by", _injection_cell("views")),
    target_column("Situs", "Site"),
)

CHECK_COLUMNS = (
    status_column(),
    Column("Umur", "Age", _age),
    Column("Berita terbaru", "Newest item", _local("latest_published")),
    Column("Sumber", "Source", lambda r, _lang: r["source"] or "-"),
    Column("Agenda", "Agenda", _local("agenda_updated")),
    Column("Lengkap", "Complete", _complete),
    target_column("Situs", "Site"),
)


# --- `sigap check web`: the check now, nothing recorded


def _web_url(value: str) -> str:
    """A URL the operator typed: one the crawler could not fetch (a port over 65535, no host) is bad
    input, said in one line, not a site measured as UNKNOWN."""
    from checks.web.urls import url_problem

    problem = url_problem(value)
    if problem is not None:
        raise InputError(f"argument URL: {value[:200]!r}: {problem}")
    return value


@click.command("web")
@click.argument("urls", metavar="URL...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per site and line, in input order.")
@click.option("--warn-after-days", type=click.IntRange(min=1), help="Newest item older than this: warn (7).")
@click.option("--crit-after-days", type=click.IntRange(min=1), help="Newest item older than this: crit (30).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), help="Seconds per request (20).")
@click.option("--timezone", "tz_name", help="Zone for dates printed without one (default: the office's).")
@click.option(
    "--injection-only",
    is_flag=True,
    help="Only look for injected gambling content, cloaking and defacement (robots.txt, the home page "
    "and at most 3 more requests per site).",
)
@click.option(
    "--render",
    "render_mode",
    type=click.Choice(["html", "javascript"]),
    help="javascript: read a site whose HTML is an empty shell as headless Chromium shows it "
    "(default: the site's own `render` setting, else html).",
)
@click.pass_obj
@bad_input_exits
def check_web(
    obj: Any,
    urls: tuple[str, ...],
    as_json: bool,
    warn_after_days: int | None,
    crit_after_days: int | None,
    timeout_s: float | None,
    tz_name: str | None,
    injection_only: bool,
    render_mode: str | None,
) -> None:
    """Is each site publishing? Newest berita/artikel and agenda dates, with their source, and any
    injected content (judi online spam, cloaking, defacement)."""
    import asyncio
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from checks.web import CrawlSettings, SiteSpec, Thresholds, WatchSettings, crawl_sites, result_as_dict

    for url in urls:
        _web_url(url)
    config = obj.optional_config()
    if tz_name:
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"option --timezone: unknown time zone {tz_name!r}") from None
    zone = tz_name or (config.office.timezone if config else "Asia/Jakarta")
    settings = config.web.crawl if config else CrawlSettings()
    watch: WatchSettings = config.web.injection if config else WatchSettings()
    if injection_only and not watch.enabled:
        watch = watch.model_copy(update={"enabled": True})  # asked for by name: on for this sweep
    if timeout_s:
        settings = settings.model_copy(update={"timeout_s": timeout_s})
    known = {w.url.rstrip("/"): w for w in config.targets.websites} if config else {}
    cli_limits = {
        k: v for k, v in (("warn_after_days", warn_after_days), ("crit_after_days", crit_after_days)) if v
    }
    specs = []
    for url in urls:
        site = known.get(url.rstrip("/"))
        limits = thresholds_for(site, config).model_dump() if site and config else {}
        try:
            thresholds = Thresholds(**{**limits, **cli_limits})
        except ValueError as exc:
            raise InputError(f"option --crit-after-days: {exc.errors()[0]['msg']}") from None
        sections = dict(config.web.sections) if config else None
        specs.append(
            SiteSpec(
                url=url,
                timezone=zone,
                thresholds=thresholds,
                respect_robots=not (site and site.owned_by_office),
                render=render_mode or (site.render if site else "html"),
                **({"sections": sections} if sections else {}),
            )
        )
    lang = obj.lang
    now = datetime.now(UTC)
    options = {"watch": watch, "injection_only": injection_only}
    if as_json:
        results = asyncio.run(crawl_sites(specs, settings, now, **options))
        for result in results:
            click.echo(json.dumps(result_as_dict(result, lang), ensure_ascii=False, default=str))
        return
    progress = (
        click.progressbar(length=len(specs), label="crawl", file=sys.stderr)
        if len(specs) >= 10
        else contextlib.nullcontext()
    )
    with progress as bar:
        on_result = (lambda _i, _r: bar.update(1)) if bar else None
        results = asyncio.run(crawl_sites(specs, settings, now, on_result=on_result, **options))
    columns = INJECTION_COLUMNS if injection_only else CHECK_COLUMNS
    click.echo(table(columns, [result_as_dict(r, lang) for r in results], lang))


SPEC = KindSpec(
    id=records.WEB_FRESHNESS,
    title_id="Kesegaran website",
    title_en="Website freshness",
    settings=Thresholds,
    section="web",
    targets=lambda config: [site.url for site, _ in site_specs(config)],
    run=run,
    check_columns=CHECK_COLUMNS,
    check_command=check_web,
    columns=_CSV_HEADERS,
    per_target=_per_target,
)
