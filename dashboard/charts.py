"""Charts for the PDF report as plain geometry, drawn by the template as inline SVG:
WeasyPrint runs no JavaScript, so Chart.js cannot draw there."""

from dataclasses import dataclass
from decimal import Decimal

from dashboard.formatting import format_value


@dataclass(frozen=True)
class Bar:
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    label: str
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    baseline: Decimal
    bars: list[Bar]
    peak_text: str
    last_text: str

    @property
    def label_y(self) -> Decimal:
        return self.baseline + 9


def _place(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"))


def bar_chart(
    title: str,
    points: list[tuple[str, Decimal | int]],
    unit: str,
    *,
    width: int = 250,
    height: int = 96,
) -> BarChart:
    """One bar per (label, value), scaled to the largest value; an empty or all-zero
    series draws a flat baseline rather than dividing by zero."""
    top, bottom, side = Decimal(4), Decimal(12), Decimal(2)
    plot_height = Decimal(height) - top - bottom
    values = [max(Decimal(value or 0), Decimal(0)) for _label, value in points]
    peak = max(values, default=Decimal(0))
    slot = (Decimal(width) - 2 * side) / max(len(points), 1)
    bars = []
    for index, ((label, value), amount) in enumerate(zip(points, values, strict=True)):
        bar_height = amount * plot_height / peak if peak else Decimal(0)
        bars.append(
            Bar(
                x=_place(side + slot * index + slot * Decimal("0.15")),
                y=_place(top + plot_height - bar_height),
                width=_place(slot * Decimal("0.7")),
                height=_place(bar_height),
                label=label,
                text=format_value(value, unit),
            )
        )
    return BarChart(
        title=title,
        width=width,
        height=height,
        baseline=top + plot_height,
        bars=bars,
        peak_text=format_value(peak, unit) if points else "",
        last_text=bars[-1].text if bars else "",
    )
