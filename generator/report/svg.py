"""Tiny inline SVG charts for the HTML reports: no script, no network, readable when printed."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 12, 12, 28


@dataclass(frozen=True)
class Line:
    points: Sequence[tuple[float, float]]
    color: str
    label: str
    dashed: bool = False


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line (objective, capacity, zero)."""

    y: float
    color: str
    label: str


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    if high == low:
        return (start + end) / 2
    return start + (value - low) / (high - low) * (end - start)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def chart(
    title: str,
    lines: Sequence[Line] = (),
    bars: Sequence[tuple[float, float]] = (),
    rules: Sequence[Rule] = (),
    y_label: str = "",
    y_format: str = "{:.3g}",
    x_labels: Sequence[tuple[float, str]] = (),
    y_range: tuple[float, float] | None = None,
) -> str:
    xs = [x for line in lines for x, _ in line.points] + [x for x, _ in bars]
    ys = [y for line in lines for _, y in line.points] + [y for _, y in bars] + [r.y for r in rules]
    if not xs:
        return f'<p class="empty">{html.escape(title)}: no data</p>'
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = y_range if y_range is not None else (min([*ys, 0.0]), max(ys) or 1.0)
    if y_high == y_low:
        y_high = y_low + 1

    def px(x: float) -> float:
        return _scale(x, x_low, x_high, LEFT, WIDTH - RIGHT)

    def py(y: float) -> float:
        return _scale(min(max(y, y_low), y_high), y_low, y_high, HEIGHT - BOTTOM, TOP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
        'fill="#fafafa" stroke="#ccc"/>',
    ]
    middle = 0.0 if y_low < 0 < y_high else (y_low + y_high) / 2
    for value in (y_low, middle, y_high):
        parts.append(
            f'<text x="{LEFT - 4}" y="{_fmt(py(value) + 4)}" text-anchor="end" class="axis">'
            f"{html.escape(y_format.format(value))}</text>"
        )
    if y_label:
        parts.append(f'<text x="4" y="{TOP + 8}" class="axis">{html.escape(y_label)}</text>')
    for x, text in x_labels:
        parts.append(
            f'<text x="{_fmt(px(x))}" y="{HEIGHT - 8}" text-anchor="middle" class="axis">'
            f"{html.escape(text)}</text>"
        )
    if bars:
        width = max(1.0, (WIDTH - LEFT - RIGHT) / max(len(bars), 1) * 0.7)
        base = py(max(y_low, 0.0))
        for x, y in bars:
            top = py(y)
            parts.append(
                f'<rect x="{_fmt(px(x) - width / 2)}" y="{_fmt(min(top, base))}" width="{_fmt(width)}" '
                f'height="{_fmt(abs(base - top))}" fill="#5b8def">'
                f"<title>{html.escape(y_format.format(y))}</title></rect>"
            )
    for rule in rules:
        at = _fmt(py(rule.y))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}" stroke="{rule.color}" '
            'stroke-width="1.5"/>'
            f'<text x="{WIDTH - RIGHT - 4}" y="{_fmt(py(rule.y) - 4)}" text-anchor="end" class="axis" '
            f'fill="{rule.color}">{html.escape(rule.label)}</text>'
        )
    for line in lines:
        if not line.points:
            continue
        path = " ".join(f"{_fmt(px(x))},{_fmt(py(y))}" for x, y in line.points)
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{line.color}" stroke-width="2"{dash}>'
            f"<title>{html.escape(line.label)}</title></polyline>"
        )
    parts.append("</svg>")
    legend = "".join(
        f'<span style="color:{line.color}">&#9632; {html.escape(line.label)}</span> ' for line in lines
    )
    return (
        f"<figure><figcaption>{html.escape(title)}</figcaption>{''.join(parts)}"
        f'<div class="legend">{legend}</div></figure>'
    )
