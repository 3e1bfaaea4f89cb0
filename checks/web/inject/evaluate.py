"""Injected content and defacement as findings. Pure: the watch's evidence in, findings out.

Evidence a website admin can act on: how the block was put there, where (a CSS-like path, "setelah
</html>", a sitemap), who saw it (browser, Googlebot, a visitor from Google, a phone), up to ten of
its links and words — defanged, so that no mail client or console makes them clickable — and a hash
of the block, the same next week if the same injection is still there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ...finding import Finding, quantity
from .lexicon import printable
from .model import MAX_ITEMS, TECHNIQUES, VIEWS, InjectionEvidence, Suspect

_MAX_BLOCKS = 10


def defang(item: str) -> str:
    """A link as evidence: readable, never a link ("hxxps://slot-gacor[.]example/x"). Words are
    shown as they are, on one line and bounded."""
    item = printable(item, 160)
    parts = urlsplit(item) if "://" in item else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        return item
    netloc = parts.netloc.replace(".", "[.]")
    rest = item.split(parts.netloc, 1)[1] if parts.netloc in item else ""
    return printable(f"{parts.scheme.replace('t', 'x', 2)}://{netloc}{rest}", 160)


def _merged(suspects: list[Suspect]) -> list[Suspect]:
    """One block once: the same links found by two readings (a list item and the link it holds) are
    one block, the first reading naming it."""
    out: list[Suspect] = []
    for s in suspects:
        mine = set(s.links)
        twin = next((o for o in out if o.key == s.key or (mine and mine <= set(o.links))), None)
        if twin is None:
            out.append(s)
            continue
        for view in s.views:
            if view not in twin.views:
                twin.views.append(view)
    return out


def _block(s: Suspect) -> dict[str, Any]:
    return {
        "technique": s.technique,
        "location": printable(s.location, 200),
        "page": printable(s.page, 300),
        "views": [v for v in VIEWS if v in s.views],
        "items": [defang(i) for i in s.items()],
        "hash": s.key,
        "detail": printable(s.detail, 200) if s.detail else None,
    }


def injection_findings(ev: InjectionEvidence) -> list[Finding]:
    findings = []
    if ev.defacement is not None:
        words, where, page = ev.defacement
        findings.append(
            Finding(
                "site_defaced",
                "crit",
                {"signature": printable(words, 120), "location": where, "page": page},
                quantity(1, "page"),
                quantity(0, "page"),
                page,
            )
        )
    suspects = _merged(ev.suspects)
    if suspects:
        blocks = [_block(s) for s in suspects[:_MAX_BLOCKS]]
        items = list(dict.fromkeys(i for b in blocks for i in b["items"]))[:MAX_ITEMS]
        techniques = [t for t in TECHNIQUES if any(b["technique"] == t for b in blocks)]
        views = [v for v in VIEWS if any(v in b["views"] for b in blocks)]
        findings.append(
            Finding(
                "content_injected",
                "crit",
                {
                    "techniques": techniques,
                    "location": blocks[0]["location"],
                    "views": views,
                    "items": items,
                    "block_hash": blocks[0]["hash"],
                    "hashes": [b["hash"] for b in blocks],
                    "blocks": blocks,
                    "count": len(suspects),
                    "planted": len(ev.planted),
                },
                quantity(len(suspects), "block"),
                quantity(0, "block"),
                suspects[0].page,
            )
        )
    if ev.checked and not findings:
        findings.append(
            Finding(
                "content_clean",
                "ok",
                {"views": [v for v in VIEWS if v in ev.views], "skipped": dict(ev.skipped) or None},
                quantity(0, "block"),
                quantity(0, "block"),
            )
        )
    return findings
