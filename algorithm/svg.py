"""A line chart on the unit square as a standalone SVG file: no plotting dependency needed.

Used for the ROC and precision-recall curves of the evaluation report; any browser opens it.
"""

from __future__ import annotations

from html import escape

import numpy as np

SIZE = 420
MARGIN = 56
MAX_POINTS = 600


def unit_square_chart(
    title: str,
    x_label: str,
    y_label: str,
    x: np.ndarray,
    y: np.ndarray,
    diagonal: bool = False,
) -> str:
    """An SVG document plotting ``(x, y)`` (both in [0, 1]) with axes, ticks and a title."""
    width = SIZE + 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{width}" '
        f'viewBox="0 0 {width} {width}" font-family="sans-serif" font-size="13">',
        f'<rect width="{width}" height="{width}" fill="white"/>',
        f'<text x="{width / 2}" y="{MARGIN / 2}" text-anchor="middle" font-size="15">'
        f"{escape(title)}</text>",
        *_axes(x_label, y_label),
    ]
    if diagonal:
        parts.append(
            f'<line x1="{_px(0)}" y1="{_py(0)}" x2="{_px(1)}" y2="{_py(1)}" '
            'stroke="#999" stroke-dasharray="5,4"/>'
        )
    parts.append(
        f'<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="{_points(x, y)}"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _axes(x_label: str, y_label: str) -> list[str]:
    frame = f'x="{MARGIN}" y="{MARGIN}" width="{SIZE}" height="{SIZE}"'
    lines = [f'<rect {frame} fill="none" stroke="#333"/>']
    for tick in np.linspace(0.0, 1.0, 6):
        lines.append(
            f'<line x1="{_px(tick)}" y1="{_py(0)}" x2="{_px(tick)}" y2="{_py(0) + 5}" '
            'stroke="#333"/>'
            f'<text x="{_px(tick)}" y="{_py(0) + 20}" text-anchor="middle">{tick:.1f}</text>'
        )
        lines.append(
            f'<line x1="{_px(0) - 5}" y1="{_py(tick)}" x2="{_px(0)}" y2="{_py(tick)}" '
            'stroke="#333"/>'
            f'<text x="{_px(0) - 8}" y="{_py(tick) + 4}" text-anchor="end">{tick:.1f}</text>'
        )
        lines.append(
            f'<line x1="{_px(tick)}" y1="{_py(0)}" x2="{_px(tick)}" y2="{_py(1)}" stroke="#eee"/>'
            f'<line x1="{_px(0)}" y1="{_py(tick)}" x2="{_px(1)}" y2="{_py(tick)}" stroke="#eee"/>'
        )
    middle = MARGIN + SIZE / 2
    lines.append(
        f'<text x="{middle}" y="{MARGIN + SIZE + 42}" text-anchor="middle">{escape(x_label)}</text>'
    )
    lines.append(
        f'<text x="16" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle})">{escape(y_label)}</text>'
    )
    return lines


def _points(x: np.ndarray, y: np.ndarray) -> str:
    if len(x) > MAX_POINTS:
        keep = np.unique(np.linspace(0, len(x) - 1, MAX_POINTS).round().astype(np.int64))
        x, y = x[keep], y[keep]
    return " ".join(f"{_px(a):.1f},{_py(b):.1f}" for a, b in zip(x, y, strict=True))


def _px(value: float) -> float:
    return MARGIN + float(value) * SIZE


def _py(value: float) -> float:
    return MARGIN + (1.0 - float(value)) * SIZE
