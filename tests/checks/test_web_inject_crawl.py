"""The injection watch in the weekly crawl, on the fixture set of tests/fixtures/web/inject/cases.yaml:
every technique of issue 21 found with the evidence an admin acts on, every negative control left
alone, and recall and false alarms counted over the whole set. All sites are on 127.0.77.x (helpers
on 127.0.78.x); the outbound hosts in the markup are .example names that nothing fetches."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.webfixtures import NOW, TZ
from helpers.websrv import Route, Site, ThreadedWebServer, WebServer

from checks.web import CrawlSettings, SiteResult, SiteSpec, WatchSettings, crawl_sites, result_as_dict

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "inject"
MANIFEST = yaml.safe_load((FIX / "cases.yaml").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
HOME = (FIX / "opd_home.html").read_text(encoding="utf-8")
ARTICLE = (FIX / "opd_article.html").read_text(encoding="utf-8")
ARTICLES = (
    "/2026/11/19/rapat-koordinasi-spbe-tingkat-kabupaten/",
    "/2026/11/12/pelatihan-admin-website-perangkat-daerah/",
    "/2026/09/19/rapat-koordinasi-spbe-tingkat-kabupaten/",
    "/2026/09/12/pelatihan-admin-website-perangkat-daerah/",
)


@dataclass
class VaryRoute(Route):
    """A route that answers some requests differently: (header, substring, route) tried in order."""

    variants: list[tuple[str, str, Route]] = field(default_factory=list)


class VaryServer(WebServer):
    """The test web server, answering by User-Agent or Referer (cloaking), and noting who asked."""

    def __init__(self, sites: dict[str, Site]) -> None:
        super().__init__(sites)
        self.agents: list[tuple[str, str]] = []  # (Host header, User-Agent)

    async def _respond(self, route: Route, headers: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        self.agents.append((headers.get("host", ""), headers.get("user-agent", "")))
        for header, needle, alternative in getattr(route, "variants", []):
            if needle.lower() in headers.get(header, "").lower():
                route = alternative
                break
        return await super()._respond(route, headers, writer)


class VaryThreaded(ThreadedWebServer):
    def __init__(self, sites: dict[str, Site]) -> None:
        super().__init__(sites)
        self.server = VaryServer(sites)


def filled(base: str, inserts: dict[str, Any] | None) -> str:
    """The base page with the case's snippets in its <!--@slot--> places, before and after it."""
    inserts = inserts or {}
    page = base
    for old, new in inserts.get("replace") or []:
        assert old in page, old
        page = page.replace(old, new)
    for slot, snippet in inserts.items():
        if slot not in {"replace", "before", "after"}:
            assert f"<!--@{slot}-->" in page, slot
            page = page.replace(f"<!--@{slot}-->", f"<!--@{slot}-->{snippet}")
    return inserts.get("before", "") + page + inserts.get("after", "")


def _route(spec: dict[str, Any], default: str, places: dict[str, str]) -> Route:
    def expand(text: str) -> str:
        return re.sub(r"\{\{host:(\w+)\}\}", lambda m: places[m.group(1)], text)

    headers = {"Location": expand(spec["location"])} if "location" in spec else {}
    if "file" in spec:
        body = (FIX / spec["file"]).read_text(encoding="utf-8")
    elif "article" in spec:
        body = filled(ARTICLE, spec["article"])
    elif "body" in spec:
        body = spec["body"]
    elif "replace" in spec:
        body = filled(default, {"replace": spec["replace"]})
    else:
        body = ""
    content_type = spec.get("type", "text/html; charset=utf-8")
    return Route(expand(body).encode(), spec.get("status", 200), content_type, headers)


def build(case: dict[str, Any], places: dict[str, str]) -> Site:
    site = Site()
    home = filled(HOME, case.get("home"))
    site.routes["/"] = Route(re.sub(r"\{\{host:(\w+)\}\}", lambda m: places[m.group(1)], home).encode())
    article = filled(ARTICLE, case.get("article"))
    for path in ARTICLES:
        site.routes[path] = Route(article.encode())
    for path, spec in (case.get("routes") or {}).items():
        site.routes[path] = _route(spec, home, places)
    for path, variants in (case.get("variants") or {}).items():
        base = site.routes.get(path) or Route(home.encode())
        vary = VaryRoute(base.body, base.status, base.content_type, base.headers)
        vary.variants = [(v["header"], v["contains"], _route(v, home, places)) for v in variants]
        site.routes[path] = vary
    return site


def case_host(i: int) -> str:
    return f"127.0.77.{i + 1}"


@dataclass
class Crawled:
    results: dict[str, SiteResult]
    urls: dict[str, str]
    server: VaryServer


@pytest.fixture(scope="module")
def crawled() -> Crawled:
    helpers = list(MANIFEST["helpers"])
    sites: dict[str, Site] = {case_host(i): Site() for i in range(len(CASES))}
    sites |= {f"127.0.78.{j + 1}": Site() for j in range(len(helpers))}
    with VaryThreaded(sites) as server:
        places = {name: server.url(f"127.0.78.{j + 1}").rstrip("/") for j, name in enumerate(helpers)}
        for j, name in enumerate(helpers):
            for path, spec in MANIFEST["helpers"][name].items():
                sites[f"127.0.78.{j + 1}"].routes[path] = _route(spec, "", places)
        for i, case in enumerate(CASES):
            sites[case_host(i)].routes.update(build(case, places).routes)
        urls = {case["name"]: server.url(case_host(i)) for i, case in enumerate(CASES)}
        specs = [SiteSpec(url=urls[c["name"]], timezone=TZ) for c in CASES]
        settings = CrawlSettings(timeout_s=5, parse_workers=0, backoff_s=0.01)
        results = asyncio.run(crawl_sites(specs, settings, NOW, watch=WatchSettings()))
    return Crawled({c["name"]: r for c, r in zip(CASES, results, strict=True)}, urls, server)


def found(result: SiteResult) -> dict[str, Any]:
    return {f.code: f for f in result.findings}


def verdict(case: dict[str, Any], result: SiteResult) -> tuple[bool, str]:
    """(right, why): what the case expects against what the crawl found."""
    codes = found(result)
    injected, defaced = codes.get("content_injected"), codes.get("site_defaced")
    kind = case["kind"]
    if kind == "clean":
        if injected or defaced:
            what = injected or defaced
            return (
                False,
                f"false alarm: {what.code} {what.params.get('techniques')} {what.params.get('items')}",
            )
        if "content_clean" not in codes:
            return False, "not checked: no content_clean"
        return True, "clean"
    if kind == "defaced":
        return (defaced is not None, "defaced" if defaced else "missed: no site_defaced")
    if injected is None:
        return False, "missed: no content_injected"
    techniques = set(injected.params["techniques"])
    if not techniques & set(case["techniques"]):
        return False, f"wrong technique: {sorted(techniques)}, expected one of {case['techniques']}"
    views = set(injected.params["views"])
    if not set(case.get("views", [])) <= views:
        return False, f"wrong view: {sorted(views)}, expected {case['views']}"
    return True, "found"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_case(crawled: Crawled, case: dict[str, Any]) -> None:
    result = crawled.results[case["name"]]
    right, why = verdict(case, result)
    assert right, (why, [(f.code, f.status, f.params) for f in result.findings])
    codes = found(result)
    if case.get("freshness") == "stale":
        assert "content_stale" in codes, [f.code for f in result.findings]  # a planted post is no news
    if case.get("freshness") == "fresh":
        assert "content_fresh" in codes, [f.code for f in result.findings]
    for view in case.get("skipped", []):
        assert view in (result.injection or {}).get("skipped", {}), result.injection
    # Never more than three requests beyond the freshness crawl, never past the site's budget.
    assert (result.injection or {}).get("requests", 0) <= 3
    assert result.requests <= CrawlSettings().max_requests_per_site


def test_recall_and_false_alarms_over_the_whole_set(crawled: Crawled, capsys) -> None:
    positives = [c for c in CASES if c["kind"] != "clean"]
    negatives = [c for c in CASES if c["kind"] == "clean"]
    hits = [c["name"] for c in positives if verdict(c, crawled.results[c["name"]])[0]]
    alarms = [c["name"] for c in negatives if not verdict(c, crawled.results[c["name"]])[0]]
    with capsys.disabled():
        print(
            f"\ninjection fixtures: {len(positives)} injected/defaced, {len(negatives)} negative controls; "
            f"recall {len(hits)}/{len(positives)}, false alarms {len(alarms)}/{len(negatives)}"
        )
    assert len(negatives) >= 25 and len(positives) >= 25
    assert len(hits) == len(positives), sorted(set(c["name"] for c in positives) - set(hits))
    assert alarms == []


def test_evidence_an_admin_can_act_on(crawled: Crawled) -> None:
    result = crawled.results["pkk_after_html"]
    f = found(result)["content_injected"]
    assert f.status == "crit" and result.status == "crit"
    assert f.params["location"] == "setelah </html>"
    assert f.params["views"][0] == "browser"
    assert re.fullmatch(r"[0-9a-f]{16}", f.params["block_hash"])
    # defanged: never a link in a mail client or the console
    assert "hxxps://slot88-pkk[.]example/" in f.params["items"]
    assert not any(i.startswith("http") for i in f.params["items"])
    assert len(f.params["items"]) <= 10
    assert f.observed == {"value": 1, "unit": "block"}
    block = f.params["blocks"][0]
    assert block["technique"] == "after_html" and block["detail"] == "display:none"
    as_json = result_as_dict(result)
    evidence = next(x for x in as_json["findings"] if x["code"] == "content_injected")["evidence"]
    assert evidence["block_hash"] == f.params["block_hash"]
    message = next(x for x in as_json["findings"] if x["code"] == "content_injected")["message"]
    assert "setelah </html>" in message and "hapus blok" in message and "kata sandi" in message


def test_paths_name_the_element(crawled: Crawled) -> None:
    f = found(crawled.results["hidden_by_stylesheet_class"])["content_injected"]
    assert f.params["location"].endswith("div.wpft-x9"), f.params["location"]
    assert f.params["blocks"][0]["detail"].startswith(".wpft-x9{display:none")


def test_cloaking_says_which_view_and_the_browser_did_not_see_it(crawled: Crawled) -> None:
    f = found(crawled.results["cloaking_googlebot"])["content_injected"]
    assert f.params["views"] == ["googlebot"]
    assert any("gacor" in i for i in f.params["items"])
    assert crawled.results["cloaking_googlebot"].injection["views"] == ["browser", "googlebot", "referer"]


def test_the_same_injection_has_the_same_hash(crawled: Crawled) -> None:
    # The spam moved (footer -> before <!DOCTYPE>) but it is the same block of links: not the same
    # here (different links), so different hashes; the same block found twice is one hash.
    a = found(crawled.results["hidden_offscreen"])["content_injected"].params["block_hash"]
    b = found(crawled.results["spam_only_on_article_pages"])["content_injected"].params["block_hash"]
    assert a != b
    again = found(crawled.results["pkk_after_html"])["content_injected"].params
    assert again["block_hash"] == again["blocks"][0]["hash"]


def test_googlebot_obeys_robots_for_its_agent(crawled: Crawled) -> None:
    url = crawled.urls["robots_keeps_googlebot_out"]
    host = url.split("//")[1].rstrip("/")
    agents = [ua for h, ua in crawled.server.agents if h == host]
    assert agents and not any("Googlebot" in ua for ua in agents)


def test_planted_post_does_not_make_a_stale_site_fresh(crawled: Crawled) -> None:
    for name in ("feed_planted_newest", "wpjson_planted_newest"):
        result = crawled.results[name]
        assert result.latest is not None and result.latest.when.month == 9, (name, result.latest)
        assert result.injection["planted"] >= 1
