"""A chart as a list of shapes, drawn twice from the same data: SVG for the PDF and the archive's HTML
(its text stays text: pdftotext finds it, a screen reader reads it), PNG for the e-mail body.

Gmail and Outlook drop inline SVG from a message, so the mail carries each chart as a PNG part
referenced by cid:. Pillow draws it (it is already here as WeasyPrint's image library): no browser, no
plotting library, no fonts beyond the DejaVu Sans the PDF uses. Drawn at twice the size and shown at the
SVG's, so it stays sharp on a phone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from html import escape

FONT_FAMILY = "DejaVu Sans, sans-serif"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    dash: tuple[int, int] | None = None
    width: float = 1.0


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1.5


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline, as in SVG
    text: str
    size: int = 9
    anchor: str = "start"  # start | middle | end
    fill: str = "#212121"
    bold: bool = False


Shape = Rect | Line | Polyline | Circle | Text


@dataclass
class Drawing:
    width: int
    height: int
    title: str
    shapes: list[Shape] = field(default_factory=list)

    def add(self, *shapes: Shape) -> None:
        self.shapes.extend(shapes)


# --- SVG --------------------------------------------------------------------------------------------


def _svg_shape(s: Shape) -> str:
    if isinstance(s, Rect):
        stroke = f' stroke="{s.stroke}"' if s.stroke else ""
        return (
            f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" fill="{s.fill}"'
            f"{stroke}/>"
        )
    if isinstance(s, Line):
        dash = f' stroke-dasharray="{s.dash[0]},{s.dash[1]}"' if s.dash else ""
        width = f' stroke-width="{s.width}"' if s.width != 1.0 else ""
        return (
            f'<line x1="{s.x1:.1f}" y1="{s.y1:.1f}" x2="{s.x2:.1f}" y2="{s.y2:.1f}" stroke="{s.stroke}"'
            f"{dash}{width}/>"
        )
    if isinstance(s, Polyline):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in s.points)
        return f'<polyline fill="none" stroke="{s.stroke}" stroke-width="{s.width}" points="{points}"/>'
    if isinstance(s, Circle):
        return f'<circle cx="{s.cx:.1f}" cy="{s.cy:.1f}" r="{s.r}" fill="{s.fill}"/>'
    weight = ' font-weight="bold"' if s.bold else ""
    return (
        f'<text x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size}" text-anchor="{s.anchor}" fill="{s.fill}" '
        f'font-family="{FONT_FAMILY}"{weight}>{escape(s.text)}</text>'
    )


def svg(drawing: Drawing) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{drawing.width}" height="{drawing.height}" '
        f'viewBox="0 0 {drawing.width} {drawing.height}" role="img"><title>{escape(drawing.title)}</title>'
        + "".join(_svg_shape(s) for s in drawing.shapes)
        + "</svg>"
    )


# --- PNG --------------------------------------------------------------------------------------------

SCALE = 2
_ANCHOR = {"start": "ls", "middle": "ms", "end": "rs"}


@cache
def _font(size: int, bold: bool):
    from PIL import ImageFont

    for name in ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size * SCALE)
        except OSError:
            continue
    return ImageFont.load_default(size * SCALE)  # Pillow's own scalable font: never no text


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _dashed(draw, s: Line) -> None:
    length = ((s.x2 - s.x1) ** 2 + (s.y2 - s.y1) ** 2) ** 0.5
    if not length:
        return
    on, off = s.dash or (3, 2)
    ux, uy = (s.x2 - s.x1) / length, (s.y2 - s.y1) / length
    pos = 0.0
    while pos < length:
        end = min(pos + on, length)
        draw.line(
            [((s.x1 + ux * pos) * SCALE, (s.y1 + uy * pos) * SCALE), ((s.x1 + ux * end) * SCALE,
             (s.y1 + uy * end) * SCALE)],
            fill=_rgb(s.stroke), width=max(1, round(s.width * SCALE)),
        )  # fmt: skip
        pos = end + off


def png(drawing: Drawing) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (drawing.width * SCALE, drawing.height * SCALE), "white")
    draw = ImageDraw.Draw(image)
    for s in drawing.shapes:
        if isinstance(s, Rect):
            box = [s.x * SCALE, s.y * SCALE, (s.x + s.w) * SCALE - 1, (s.y + s.h) * SCALE - 1]
            draw.rectangle(box, fill=_rgb(s.fill), outline=_rgb(s.stroke) if s.stroke else None)
        elif isinstance(s, Line):
            if s.dash:
                _dashed(draw, s)
            else:
                points = [(s.x1 * SCALE, s.y1 * SCALE), (s.x2 * SCALE, s.y2 * SCALE)]
                draw.line(points, fill=_rgb(s.stroke), width=max(1, round(s.width * SCALE)))
        elif isinstance(s, Polyline):
            points = [(x * SCALE, y * SCALE) for x, y in s.points]
            draw.line(points, fill=_rgb(s.stroke), width=max(1, round(s.width * SCALE)), joint="curve")
        elif isinstance(s, Circle):
            x, y, r = s.cx * SCALE, s.cy * SCALE, s.r * SCALE
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_rgb(s.fill))
        else:
            draw.text(
                (s.x * SCALE, s.y * SCALE), s.text, fill=_rgb(s.fill), font=_font(s.size, s.bold),
                anchor=_ANCHOR[s.anchor],
            )  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
