"""Plots of a view: time and peak heap against rows, log-log, one line per strategy."""

from __future__ import annotations

import io

from lab.report.model import Series, View

__all__ = ["view_png"]

MARKERS = "osD^v<>ph*"


def _legend(series: Series, exponent: float | None) -> str:
    return series.short + ("" if exponent is None else f" (n^{exponent:.2f})")


def view_png(view: View, dpi: int = 100) -> bytes:
    """A PNG of ``view``: median time (with IQR bars) and peak heap against rows, log-log;
    strategies are labelled by how they differ from the reference."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    colours = [*colormaps["tab10"].colors, *colormaps["tab20"].colors[1::2]]

    fig = Figure(figsize=(12, 5 + 0.2 * len(view.series)), dpi=dpi, layout="constrained")
    ax_time, ax_heap = fig.subplots(1, 2)
    for i, s in enumerate(view.series):
        style = {"color": colours[i % len(colours)], "marker": MARKERS[i % len(MARKERS)]}
        timed = [p for p in s.points if p.median_s]
        if timed:
            ax_time.errorbar(
                [p.n for p in timed],
                [p.median_s for p in timed],
                yerr=[(p.iqr_s or 0) / 2 for p in timed],
                capsize=3,
                **style,
                label=_legend(s, s.time_exponent),
            )
        heaped = [p for p in s.points if p.peak_bytes]
        if heaped:
            ax_heap.plot(
                [p.n for p in heaped],
                [p.peak_bytes / 2**20 for p in heaped],  # type: ignore[operator]
                **style,
                label=_legend(s, s.memory_exponent),
            )
    for ax, title, unit in ((ax_time, "median time", "seconds"), (ax_heap, "peak heap (memray)", "MiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(view.unit)
        ax.set_ylabel(unit)
        ax.set_title(f"{view.system} {view.axis}: {title}")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.14),
                fontsize="small",
                title="strategy (fitted growth)",
                title_fontsize="small",
            )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
