"""The report's charts as drawings (reports/drawing.py): SVG in the PDF and the archived HTML, PNG in
the e-mail. Simple charts, laid out by hand: no fonts or images to embed, text that stays text."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from .data import LinkRow, SiteRow, TrendRow
from .drawing import Circle, Drawing, Line, Polyline, Rect, Text
from .fmt import Formatter

COLOURS = {"ok": "#2e7d32", "warn": "#f9a825", "crit": "#c62828", "unknown": "#757575", None: "#bdbdbd"}
_LABEL_W = 190
_ROW_H = 16
_PLOT_W = 7 * 62  # the heat map's and the utilisation strips' width, whatever the number of days
_GREY, _INK, _BLUE = "#616161", "#212121", "#1565c0"


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def freshness(
    rows: list[SiteRow], warn_days: int, crit_days: int, fmt: Formatter, title: str, no_data: str
) -> Drawing:
    """Horizontal bars: age of each OPD site's newest item, coloured by status, with the SOP's limits."""
    width = 680
    plot = width - _LABEL_W - 60
    top = 18
    height = top + _ROW_H * len(rows) + 22
    longest = max([r.age_days or 0 for r in rows] + [crit_days * 1.2])
    scale = plot / longest
    d = Drawing(width, height, title)
    for limit, colour in ((warn_days, COLOURS["warn"]), (crit_days, COLOURS["crit"])):
        x = _LABEL_W + limit * scale
        d.add(Line(x, top - 4, x, height - 18, colour, (3, 2)))
        d.add(Text(x, top - 6, f"{limit}", 8, "middle", colour))
    for i, row in enumerate(rows):
        y = top + i * _ROW_H
        d.add(Text(_LABEL_W - 6, y + 11, _short(row.opd), 9, "end"))
        if row.age_days is None:
            d.add(Text(_LABEL_W + 4, y + 11, no_data if row.status is None else "-", 8, "start", "#757575"))
            continue
        w = max(1.0, row.age_days * scale)
        d.add(
            Rect(_LABEL_W, y + 2, w, _ROW_H - 5, COLOURS.get(row.status, COLOURS[None])),
            Text(_LABEL_W + w + 4, y + 11, fmt.number(row.age_days, 0), 8),
        )
    d.add(Text(_LABEL_W, height - 4, title, 8, "start", _GREY))
    return d


def age_bands(warn_days: int, crit_days: int) -> list[tuple[int, int | None]]:
    """The age groups of the short report's freshness chart, at the SOP's own limits."""
    edges = sorted({0, warn_days + 1, crit_days + 1, crit_days * 2 + 1, crit_days * 3 + 1})
    return [(lo, hi - 1) for lo, hi in pairwise(edges)] + [(edges[-1], None)]


def freshness_bands(
    rows: list[SiteRow], warn_days: int, crit_days: int, labels: dict[str, str], title: str
) -> Drawing:
    """One bar per age group (days since the newest item), coloured by the status it means, with the
    number of sites: the shape of 500 sites' freshness in a few lines. Sites without an age (not
    crawled, not measured) are the last bar."""
    bands = age_bands(warn_days, crit_days)
    ages = [r.age_days for r in rows if r.age_days is not None]
    counts = [sum(1 for a in ages if lo <= a and (hi is None or a <= hi)) for lo, hi in bands]
    unaged = len(rows) - len(ages)
    names, colours = [], []
    for lo, hi in bands:
        names.append(f"{lo}–{hi} {labels['days']}" if hi is not None else f"> {lo - 1} {labels['days']}")
        worst = hi if hi is not None else lo
        status = "ok" if worst <= warn_days else ("warn" if worst <= crit_days else "crit")
        colours.append(COLOURS[status])
    if unaged:
        names.append(labels["no_age"])
        counts.append(unaged)
        colours.append(COLOURS[None])
    width, top, row_h = 680, 8, 20
    height = top + row_h * len(counts) + 20
    plot = width - _LABEL_W - 70
    scale = plot / max([*counts, 1])
    d = Drawing(width, height, title)
    for i, (name, n, colour) in enumerate(zip(names, counts, colours, strict=True)):
        y = top + i * row_h
        w = max(1.0, n * scale) if n else 0
        d.add(Text(_LABEL_W - 6, y + 13, name, 9, "end"))
        if w:
            d.add(Rect(_LABEL_W, y + 3, w, row_h - 6, colour))
        d.add(Text(_LABEL_W + w + 4, y + 13, str(n), 9, "start", _INK, True))
    d.add(Text(_LABEL_W, height - 4, title, 8, "start", _GREY))
    return d


def _day_header(d: Drawing, days: list[str], top: int, cell_w: float) -> None:
    every = max(1, round(40 / cell_w))  # a label per 40 px at most
    for i, label in enumerate(days):
        if i % every == 0:
            d.add(Text(_LABEL_W + cell_w * (i + 0.5), top - 6, label, 8, "middle"))


def availability(rows: list[LinkRow], days: list[str], fmt: Formatter, title: str, no_data: str) -> Drawing:
    """A heat map: one row per link, one cell per day, the day's availability in it."""
    cell_w = _PLOT_W / max(1, len(days))
    width = _LABEL_W + _PLOT_W + 10
    top = 18
    height = top + _ROW_H * len(rows) + 22
    d = Drawing(width, height, title)
    _day_header(d, days, top, cell_w)
    for r_i, row in enumerate(rows):
        y = top + r_i * _ROW_H
        d.add(Text(_LABEL_W - 6, y + 11, _short(f"{row.opd} ({row.link_id})"), 9, "end"))
        for d_i, value in enumerate(row.daily_uptime):
            if value is None:
                colour, label, ink = COLOURS[None], no_data if d_i == 0 else "-", "#424242"
            else:
                status = "ok" if value >= 99.5 else ("warn" if value >= 95 else "crit")
                colour, label, ink = COLOURS[status], fmt.number(value, 1), "#ffffff"
            x = _LABEL_W + d_i * cell_w
            d.add(Rect(x + 1, y + 1, cell_w - 2, _ROW_H - 2, colour))
            if cell_w >= 40 or (value is None and d_i == 0):
                d.add(Text(x + cell_w / 2 if cell_w >= 40 else x + 2, y + 11, label, 8,
                           "middle" if cell_w >= 40 else "start", ink))  # fmt: skip
    d.add(Text(_LABEL_W, height - 4, title, 8, "start", _GREY))
    return d


def utilisation(rows: list[LinkRow], days: list[str], title: str, no_data: str) -> Drawing:
    """Small multiples: each link's mean download per bucket as % of its contract; 100 % dashed."""
    strip_h = 30
    width = _LABEL_W + _PLOT_W + 10
    top = 18
    height = top + (strip_h + 4) * len(rows) + 22
    d = Drawing(width, height, title)
    _day_header(d, days, top, _PLOT_W / max(1, len(days)))
    for r_i, row in enumerate(rows):
        y0 = top + r_i * (strip_h + 4)
        d.add(
            Text(_LABEL_W - 6, y0 + strip_h / 2 + 3, _short(f"{row.opd} ({row.link_id})"), 9, "end"),
            Rect(_LABEL_W, y0, _PLOT_W, strip_h, "#fafafa", "#e0e0e0"),
        )
        values = [v for v in row.util_buckets if v is not None]
        if not values:
            d.add(Text(_LABEL_W + 6, y0 + strip_h / 2 + 3, no_data, 8, "start", "#757575"))
            continue
        top_pct = max(110.0, max(values) * 1.05)
        contract_y = y0 + strip_h - 100 / top_pct * strip_h
        d.add(Line(_LABEL_W, contract_y, _LABEL_W + _PLOT_W, contract_y, COLOURS["crit"], (3, 2)))
        step = _PLOT_W / len(row.util_buckets)
        # A gap in the samples breaks the line rather than joining across it.
        segment: list[tuple[float, float]] = []
        for i, value in enumerate([*row.util_buckets, None]):
            if value is None:
                if len(segment) > 1:
                    d.add(Polyline(tuple(segment), _BLUE))
                elif segment:
                    d.add(Circle(segment[0][0], segment[0][1], 1.5, _BLUE))
                segment = []
                continue
            segment.append((_LABEL_W + step * (i + 0.5), y0 + strip_h - value / top_pct * strip_h))
    d.add(Text(_LABEL_W, height - 4, title, 8, "start", _GREY))
    return d


def trend(
    rows: Sequence[TrendRow], series: list[tuple[str, list[float | None], str]], fmt: Formatter, title: str
) -> Drawing:
    """The monthly recap's weeks: one small bar chart per figure (label, a value per week, its unit)."""
    panel_w, panel_h, gap, top = 150, 80, 20, 14
    width = max(680, len(series) * (panel_w + gap))
    height = top + panel_h + 40
    d = Drawing(width, height, title)
    for p, (label, values, unit) in enumerate(series):
        x0 = p * (panel_w + gap) + 10
        d.add(Text(x0, top - 2, label, 9, "start", _INK, True))
        known = [v for v in values if v is not None]
        peak = max(known) if known else 0
        floor = min(known) if unit == "%" and known else 0
        floor = max(0.0, floor - (peak - floor) * 0.5 - 1) if unit == "%" else 0  # show the movement
        bar_w = panel_w / max(1, len(values))
        for i, value in enumerate(values):
            x = x0 + i * bar_w
            d.add(Text(x + bar_w / 2, top + panel_h + 14, rows[i].label[-3:], 8, "middle", _GREY))
            if value is None:
                d.add(Text(x + bar_w / 2, top + panel_h - 2, "-", 8, "middle", _GREY))
                continue
            h = 2 + (panel_h - 16) * ((value - floor) / (peak - floor) if peak > floor else 1)
            d.add(
                Rect(x + 3, top + panel_h - h, bar_w - 6, h, _BLUE),
                Text(x + bar_w / 2, top + panel_h - h - 2, _number(fmt, value, unit), 7, "middle"),
            )
    d.add(Text(10, height - 4, title, 8, "start", _GREY))
    return d


def _number(fmt: Formatter, value: float, unit: str) -> str:
    digits = 1 if unit == "%" and value < 100 else 0
    return fmt.number(value, digits) + (" %" if unit == "%" else "")
