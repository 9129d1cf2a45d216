"""Charts as PNG for the monthly report, drawn with matplotlib off screen."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

from handlers.replies import Chart  # noqa: E402

WIDTH_IN, HEIGHT_IN, DPI = 9, 5, 100  # 900 x 500 pixels


def render_png(chart: Chart) -> bytes:
    """Horizontal bars, one colour per series, values labelled, readable in a chat window."""
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    axes = figure.subplots()
    count = max(len(chart.series), 1)
    height = 0.8 / count
    positions = range(len(chart.categories))
    for n, (name, values) in enumerate(chart.series):
        offsets = [p + (n - (count - 1) / 2) * height for p in positions]
        bars = axes.barh(offsets, values, height=height, label=name)
        axes.bar_label(bars, labels=[_label(v, chart.unit) for v in values], padding=3, fontsize=9)
    axes.set_yticks(list(positions), labels=list(chart.categories))
    axes.invert_yaxis()  # first category on top, as in the tables
    axes.set_title(chart.title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.xaxis.set_major_formatter(lambda value, _: _label(value, chart.unit))
    if count > 1:
        axes.legend(loc="lower right")
    axes.margins(x=0.15)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _label(value: float, unit: str) -> str:
    if unit != "$":
        return f"{value:,.0f}"
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    return f"${value / 1_000:,.0f}K" if value >= 1_000 else f"${value:,.0f}"
