"""Charts drawn on the server as inline SVG: data in, markup out, with every figure written into the drawing.

The drawings use a viewBox and no script, so they scale to any screen, print as they are, and a test
(or a screen reader) finds each number in a <title> or a <text>.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_WIDTH, LINE_WIDTH = 520, 1000
FONT = "DejaVu Sans, system-ui, sans-serif"
INK, MUTED, GRID, TRACK = "#111", "#555", "#c8c8c8", "#e4e4e4"
BAR_COLOUR = "#0b4fb3"
LINE_COLOURS = ("#0a7a2f", "#b00020", "#0b4fb3")
# A bar's name sits above it, so a long work center name never squeezes the bar.
BAR_ROW, BAR_HEIGHT, VALUE_WIDTH, LABEL_CHARACTERS = 76, 30, 110, 44
LINE_HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 360, 64, 24, 56, 44

Number = Callable[[float], str]


def plain_number(value: float) -> str:
    """25 for 25.0 and 33.33 for 33.333: the drawing's default when no locale format is given."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    dashed: bool = False


def _svg(kind: str, width: int, height: float, title: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart chart--{kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height:g}" font-family="{FONT}" font-size="22" fill="{INK}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def _text(x: float, y: float, content: str, *, anchor: str = "start", **attributes) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'


def _shortened(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _bar_row(index: int, bar: Bar, length: float, shown: str) -> str:
    top, track = index * BAR_ROW, BAR_WIDTH - VALUE_WIDTH
    return (
        f'<g class="chart__bar"><title>{escape(bar.label)}: {escape(shown)}</title>'
        + _text(0, top + 24, _shortened(bar.label), font_weight="600")
        + f'<rect x="0" y="{top + 34}" width="{track}" height="{BAR_HEIGHT}" fill="{TRACK}"/>'
        + f'<rect x="0" y="{top + 34}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
        + _text(track + 10, top + 57, shown, font_weight="700")
        + "</g>"
    )


def bar_chart(
    bars: Sequence[Bar], *, title: str, maximum: float = 100.0, unit: str = "", number: Number = plain_number
) -> Markup:
    """Horizontal bars on one scale (0..maximum, widened if a value exceeds it), each with its name and value."""
    scale = max([maximum, *(bar.value for bar in bars)]) or 1.0
    track = BAR_WIDTH - VALUE_WIDTH
    rows = [
        _bar_row(index, bar, track * max(bar.value, 0) / scale, f"{number(bar.value)}{unit}")
        for index, bar in enumerate(bars)
    ]
    return _svg("bars", BAR_WIDTH, BAR_ROW * max(len(bars), 1), title, rows)


def _nice_ceiling(value: float) -> float:
    """The round number (1, 2 or 5 times a power of ten) at or above `value`: the top of the y axis."""
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


@dataclass(frozen=True)
class _Frame:
    """Where a point of the line chart goes: the index along x, the value up y."""

    count: int
    top: float

    def x(self, index: int) -> float:
        return PAD_LEFT + index * (LINE_WIDTH - PAD_LEFT - PAD_RIGHT) / max(self.count - 1, 1)

    def y(self, value: float) -> float:
        return PAD_TOP + (LINE_HEIGHT - PAD_TOP - PAD_BOTTOM) * (1 - value / self.top)


def _axes(frame: _Frame, x_labels: Sequence[str], number: Number, label_every: int) -> list[str]:
    parts = []
    for value in (0, frame.top / 2, frame.top):
        y = frame.y(value)
        parts.append(f'<line x1="{PAD_LEFT}" x2="{LINE_WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(PAD_LEFT - 8, y + 7, number(value), anchor="end", fill=MUTED))
    for index in range(0, len(x_labels), label_every):
        parts.append(_text(frame.x(index), LINE_HEIGHT - 12, x_labels[index], anchor="middle", fill=MUTED))
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for index, line in enumerate(series):
        x, colour = PAD_LEFT + index * 300, LINE_COLOURS[index % len(LINE_COLOURS)]
        dash = ' stroke-dasharray="10 8"' if line.dashed else ""
        parts.append(f'<line x1="{x}" x2="{x + 40}" y1="22" y2="22" stroke="{colour}" stroke-width="5"{dash}/>')
        parts.append(_text(x + 50, 29, line.name, font_weight="600"))
    return parts


def _line(frame: _Frame, line: Series, colour: str, x_labels: Sequence[str], number: Number) -> str:
    points = " ".join(f"{frame.x(i):.1f},{frame.y(v):.1f}" for i, v in enumerate(line.values))
    dash = ' stroke-dasharray="10 8"' if line.dashed else ""
    parts = [f'<polyline fill="none" stroke="{colour}" stroke-width="4"{dash} points="{points}"/>']
    for index, value in enumerate(line.values):
        x, y = frame.x(index), frame.y(value)
        title = f"{x_labels[index]} — {line.name}: {number(value)}"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"><title>{escape(title)}</title></circle>')
        if value and not line.dashed:
            parts.append(_text(x, y - 12, number(value), anchor="middle", font_weight="700"))
    return f'<g class="chart__line">{"".join(parts)}</g>'


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    number: Number = plain_number,
    label_every: int = 3,
) -> Markup:
    """Lines over the same x labels; every point carries its value in a <title>, a solid line's also as text."""
    frame = _Frame(len(x_labels), _nice_ceiling(max([1.0, *(v for line in series for v in line.values)])))
    parts = _axes(frame, x_labels, number, label_every) + _legend(series)
    for index, line in enumerate(series):
        parts.append(_line(frame, line, LINE_COLOURS[index % len(LINE_COLOURS)], x_labels, number))
    return _svg("lines", LINE_WIDTH, LINE_HEIGHT, title, parts)
