"""Writing the report's files: plots, ``REPORT.md``, ``report.html``, ``claims.md``, the README section."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lab.measure.records import machine_text
from lab.report.html import report_html
from lab.report.model import Provenance, Report, View
from lab.report.plots import view_png
from lab.report.render import END, START, claims_document, readme_body, replace_marked, report_markdown
from lab.report.summary import SummaryRow, to_markdown
from lab.report.verdicts import ClaimResult
from lab.strategies import System, label

__all__ = ["write_report", "write_claims", "update_readme", "write_sweep"]


def write_report(report: Report, folder: Path) -> list[Path]:
    """Write ``REPORT.md`` (plots beside it under ``plots/``) and ``report.html`` into ``folder``."""
    plots = folder / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    images = {v.id: view_png(v) for s in report.sections for v in s.views if _plotted(v)}
    for stale in plots.glob("*.png"):
        if stale.stem not in images:
            stale.unlink()
    for name, png in images.items():
        (plots / f"{name}.png").write_bytes(png)
    markdown = folder / "REPORT.md"
    markdown.write_text(report_markdown(report, {k: f"plots/{k}.png" for k in images}), encoding="utf-8")
    html = folder / "report.html"
    html.write_text(report_html(report, images), encoding="utf-8")
    return [markdown, html]


def _plotted(view: View) -> bool:
    """Whether ``view`` has anything to plot: an empty plot is no figure."""
    return any(p.median_s or p.peak_bytes for s in view.series for p in s.points)


def write_claims(results: Sequence[ClaimResult], prov: Provenance, folder: Path, command: str) -> Path:
    """Write ``claims.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "claims.md"
    path.write_text(claims_document(results, prov, command), encoding="utf-8")
    return path


def update_readme(readme: Path, claims: Path) -> str:
    """Rewrite the marked claims section of ``readme`` from ``claims``; say what was done."""
    if not readme.exists():
        return f"{readme} does not exist: nothing to update"
    text = readme.read_text(encoding="utf-8")
    if replace_marked(text, "") is None:
        return f"{readme} has no claims markers ({START} ... {END}): README left as it is"
    if not claims.exists():
        return f"{claims} does not exist yet (run lab verify): README left as it is"
    body = readme_body(claims.read_text(encoding="utf-8"))
    if body is None:
        return f"{claims} has no README table (run lab verify again): README left as it is"
    new = replace_marked(text, body)
    if new == text:
        return f"{readme} claims section already up to date"
    readme.write_text(new or text, encoding="utf-8")
    return f"{readme} claims section rewritten from {claims}"


def write_sweep(
    folder: Path,
    system: System,
    command: str,
    rows: Sequence[SummaryRow],
    records: Sequence[Mapping[str, Any]],
    skipped: Sequence[tuple[Mapping[str, str], str]],
    repeat: int,
) -> Path:
    """Write ``sweep-<system>.md`` into ``folder``: the sweep's summary table and what it skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sweep-{system.name}.md"
    machine = records[0]["machine"] if records else {}
    head = [
        f"# {system.name} sweep",
        "",
        f"`{command}`",
        "",
        f"Commit {records[0]['commit'] if records else '-'}; {machine_text(machine)}; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Medians of {repeat} repeats "
        "after a warm-up; peak heap by memray in a separate run; ratios are to the reference "
        f"strategies measured in this same run; items are {system.unit}.",
        "",
    ]
    tail = [""] + [f"- skipped {label(c)}: {r}" for c, r in skipped]
    path.write_text("\n".join(head) + to_markdown(rows) + "\n".join(tail) + "\n")
    return path
