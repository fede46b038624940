"""``results/report.html``: the report as one self-contained page (inline CSS, plots as inline
PNG); no script, nothing fetched."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape

from lab.report.model import Report, View
from lab.report.render import (
    CLAIM_COLUMNS,
    GROWTH_COLUMNS,
    INTRO,
    OTHERS_COLUMNS,
    claim_cells,
    growth_rows,
    others_rows,
)
from lab.report.summary import columns, row_cells

__all__ = ["report_html"]

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1300px; padding: 0 1em;
       color: #1b1f24; background: #fff; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; margin: 0.6em 0 1.4em; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; vertical-align: top; }
th { background: #f3f5f7; }
td:first-child, td:nth-child(2) { text-align: left; }
.claims td, .claims th { text-align: left; }
.holds { background: #e6f4ea; } .fails { background: #fde7e9; } .untested { background: #f4f4f4; }
.inconclusive { background: #fff8e1; }
.meta { color: #57606a; }
img { max-width: 100%; border: 1px solid #d0d7de; }
"""


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{escape(x)}</td>" for x in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _claims(report: Report) -> str:
    rows = [claim_cells(r) for r in report.claims]
    out = '<section class="claims"><h2>Claims</h2>'
    out += _table(CLAIM_COLUMNS, rows, [r.verdict.status for r in report.claims])
    rows = others_rows(report.claims)
    if rows:
        out += "<p>The other strategies measured at each claim's tier, and which break it:</p>"
        out += _table(OTHERS_COLUMNS, rows, [row[2] for row in rows])
    out += "<p>How the course's words are read:</p><ul>"
    out += "".join(
        f"<li><b>{escape(r.claim.id)}</b> ({escape(r.claim.where)}): {escape(r.claim.reading)}</li>"
        for r in report.claims
    )
    return out + "</ul></section>"


def _view(view: View, png: bytes | None) -> str:
    title = f"{view.system}: {view.axis}" + ("" if view.source == "lab" else f" ({view.source})")
    out = f"<h3>{escape(title)}</h3>"
    if view.reference:
        out += f"<p>Reference: {escape(view.reference)}.</p>"
    if png:
        data = base64.b64encode(png).decode("ascii")
        alt = f"{view.system} {view.axis}: time and peak heap against {view.unit}"
        out += f'<img class="plot" alt="{escape(alt)}" src="data:image/png;base64,{data}">'
    out += _table(GROWTH_COLUMNS, growth_rows(view))
    return out + _table(columns(view.rows), row_cells(view.rows))


def report_html(report: Report, images: Mapping[str, bytes] | None = None) -> str:
    """The whole report as HTML; ``images`` maps a view's id to its plot (PNG bytes)."""
    images = images or {}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>lab report</title><style>{_STYLE}</style></head><body>",
        "<h1>lab report</h1>",
        f'<p class="meta">{escape(report.provenance.text())}</p>',
        f"<p>{escape(INTRO)}</p>",
    ]
    if report.claims:
        parts.append(_claims(report))
    for section in report.sections:
        title = section.system + ("" if section.source == "lab" else f" ({section.source})")
        parts.append(f"<section><h2>{escape(title)}</h2>")
        parts += [_view(v, images.get(v.id)) for v in section.views]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
