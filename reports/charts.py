"""The report's charts as plain SVG: the same markup goes into the e-mail's HTML and WeasyPrint's PDF.

Hand-written SVG rather than a plotting library: three simple charts, no fonts or images to embed,
and text in the SVG stays text in the PDF (pdftotext finds it, a screen reader reads it).
"""

from __future__ import annotations

from html import escape

from .data import LinkRow, SiteRow
from .fmt import Formatter

COLOURS = {"ok": "#2e7d32", "warn": "#f9a825", "crit": "#c62828", "unknown": "#757575", None: "#bdbdbd"}
_LABEL_W = 190
_ROW_H = 16


def _text(x: float, y: float, text: str, size: int = 9, anchor: str = "start", fill: str = "#212121") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-family="DejaVu Sans, sans-serif">{escape(text)}</text>'
    )


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def freshness(
    rows: list[SiteRow], warn_days: int, crit_days: int, fmt: Formatter, title: str, no_data: str
) -> str:
    """Horizontal bars: age of each OPD site's newest item, coloured by status, with the SOP's limits."""
    width = 680
    plot = width - _LABEL_W - 60
    top = 18
    height = top + _ROW_H * len(rows) + 22
    longest = max([r.age_days or 0 for r in rows] + [crit_days * 1.2])
    scale = plot / longest
    body = []
    for limit, colour in ((warn_days, COLOURS["warn"]), (crit_days, COLOURS["crit"])):
        x = _LABEL_W + limit * scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 18}" stroke="{colour}" '
            'stroke-dasharray="3,2"/>'
        )
        body.append(_text(x, top - 6, f"{limit}", 8, "middle", colour))
    for i, row in enumerate(rows):
        y = top + i * _ROW_H
        body.append(_text(_LABEL_W - 6, y + 11, _short(row.opd), 9, "end"))
        if row.age_days is None:
            label = no_data if row.status is None else "-"
            body.append(_text(_LABEL_W + 4, y + 11, label, 8, "start", "#757575"))
            continue
        w = max(1.0, row.age_days * scale)
        body.append(
            f'<rect x="{_LABEL_W}" y="{y + 2}" width="{w:.1f}" height="{_ROW_H - 5}" '
            f'fill="{COLOURS.get(row.status, COLOURS[None])}"/>'
        )
        body.append(_text(_LABEL_W + w + 4, y + 11, fmt.number(row.age_days, 0), 8))
    body.append(_text(_LABEL_W, height - 4, title, 8, "start", "#616161"))
    return _svg(width, height, body, title)


def availability(rows: list[LinkRow], days: list[str], fmt: Formatter, title: str, no_data: str) -> str:
    """A heat map: one row per link, one cell per day, the day's availability in it."""
    cell_w = 62
    width = _LABEL_W + cell_w * 7 + 10
    top = 18
    height = top + _ROW_H * len(rows) + 22
    body = [_text(_LABEL_W + cell_w * (i + 0.5), top - 6, d, 8, "middle") for i, d in enumerate(days)]
    for r_i, row in enumerate(rows):
        y = top + r_i * _ROW_H
        body.append(_text(_LABEL_W - 6, y + 11, _short(f"{row.opd} ({row.link_id})"), 9, "end"))
        for d_i, value in enumerate(row.daily_uptime):
            if value is None:
                colour, label, ink = COLOURS[None], no_data if d_i == 0 else "-", "#424242"
            else:
                status = "ok" if value >= 99.5 else ("warn" if value >= 95 else "crit")
                colour, label, ink = COLOURS[status], fmt.number(value, 1), "#ffffff"
            x = _LABEL_W + d_i * cell_w
            body.append(
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{_ROW_H - 2}" fill="{colour}"/>'
            )
            body.append(_text(x + cell_w / 2, y + 11, label, 8, "middle", ink))
    body.append(_text(_LABEL_W, height - 4, title, 8, "start", "#616161"))
    return _svg(width, height, body, title)


def utilisation(rows: list[LinkRow], days: list[str], title: str, no_data: str) -> str:
    """Small multiples: each link's mean download per 6 hours as % of its contract; 100 % dashed."""
    strip_h = 30
    plot_w = 7 * 62
    width = _LABEL_W + plot_w + 10
    top = 18
    height = top + (strip_h + 4) * len(rows) + 22
    body = [_text(_LABEL_W + 62 * (i + 0.5), top - 6, d, 8, "middle") for i, d in enumerate(days)]
    for r_i, row in enumerate(rows):
        y0 = top + r_i * (strip_h + 4)
        body.append(_text(_LABEL_W - 6, y0 + strip_h / 2 + 3, _short(f"{row.opd} ({row.link_id})"), 9, "end"))
        body.append(
            f'<rect x="{_LABEL_W}" y="{y0}" width="{plot_w}" height="{strip_h}" '
            'fill="#fafafa" stroke="#e0e0e0"/>'
        )
        values = [v for v in row.util_buckets if v is not None]
        if not values:
            body.append(_text(_LABEL_W + 6, y0 + strip_h / 2 + 3, no_data, 8, "start", "#757575"))
            continue
        top_pct = max(110.0, max(values) * 1.05)
        contract_y = y0 + strip_h - 100 / top_pct * strip_h
        body.append(
            f'<line x1="{_LABEL_W}" y1="{contract_y:.1f}" x2="{_LABEL_W + plot_w}" y2="{contract_y:.1f}" '
            'stroke="#c62828" stroke-dasharray="3,2"/>'
        )
        step = plot_w / len(row.util_buckets)
        # A gap in the samples breaks the line rather than joining across it.
        segment: list[str] = []
        for i, value in enumerate([*row.util_buckets, None]):
            if value is None:
                if len(segment) > 1:
                    points = " ".join(segment)
                    body.append(
                        f'<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{points}"/>'
                    )
                elif segment:
                    x, y = segment[0].split(",")
                    body.append(f'<circle cx="{x}" cy="{y}" r="1.5" fill="#1565c0"/>')
                segment = []
                continue
            x = _LABEL_W + step * (i + 0.5)
            y = y0 + strip_h - value / top_pct * strip_h
            segment.append(f"{x:.1f},{y:.1f}")
    body.append(_text(_LABEL_W, height - 4, title, 8, "start", "#616161"))
    return _svg(width, height, body, title)
