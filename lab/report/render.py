"""Markdown: the claims table (``results/claims.md``), the full report (``results/REPORT.md``),
and the README's generated section."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lab.report.model import Provenance, Report, View
from lab.report.summary import columns, human_bytes, human_seconds, markdown_table, row_cells
from lab.report.verdicts import ClaimResult, Verdict, bounds

__all__ = [
    "CLAIM_COLUMNS",
    "claim_cells",
    "verdict_text",
    "others_text",
    "others_rows",
    "OTHERS_COLUMNS",
    "claims_markdown",
    "claims_document",
    "report_markdown",
    "replace_marked",
    "readme_body",
    "growth_rows",
    "GROWTH_COLUMNS",
    "INTRO",
    "TABLE_COLUMNS",
    "table_cells",
    "START",
    "END",
    "README_START",
    "README_END",
]

START, END = "<!-- claims:start -->", "<!-- claims:end -->"
README_START, README_END = "<!-- readme:start -->", "<!-- readme:end -->"

CLAIM_COLUMNS = [
    "claim",
    "the course says",
    "strategy (tier)",
    "bound",
    "median (IQR)",
    "peak heap",
    "growth",
    "verdict",
]


def verdict_text(v: Verdict) -> str:
    """``holds``, ``fails: <what broke>``, ``untested: <why>`` or ``inconclusive: <the figure>``."""
    return v.status if v.status == "holds" else f"{v.status}: {v.reason}"


def _median(v: Verdict, per_item: bool) -> str:
    if v.median_s is None:
        return "-"
    text = f"{human_seconds(v.median_s)} ({human_seconds(v.iqr_s)})"
    if per_item and v.per_item_s is not None:
        text += f"; {human_seconds(v.per_item_s)} per item"
    return text


def claim_cells(result: ClaimResult) -> list[str]:
    """One claim as display strings, in the order of :data:`CLAIM_COLUMNS`."""
    c, v = result.claim, result.verdict
    return [
        c.id,
        f"“{c.text}”",
        f"{c.system}: {v.label} ({c.tier})",
        "; ".join(bounds(c)),
        _median(v, c.measure == "item"),
        human_bytes(v.peak_bytes),
        _growth(v),
        verdict_text(v),
    ]


def others_text(result: ClaimResult) -> str:
    """Which other measured strategies break the claim, and which keep it."""
    parts = []
    if result.breakers:
        parts.append("broken by " + "; ".join(f"{v.label} ({v.reason})" for v in result.breakers))
    if result.keepers:
        parts.append("also held by " + "; ".join(v.label for v in result.keepers))
    untested = [v for v in result.others if v.status == "untested"]
    if untested:
        parts.append("not judged (incomplete records): " + "; ".join(v.label for v in untested))
    unsure = [v for v in result.others if v.status == "inconclusive"]
    if unsure:
        parts.append("inconclusive for " + "; ".join(v.label for v in unsure))
    return ". ".join(parts) + "." if parts else "no other strategy measured at this tier."


OTHERS_COLUMNS = ["claim", "other strategy at its tier", "verdict", "why"]


def others_rows(results: Sequence[ClaimResult]) -> list[list[str]]:
    """Every other strategy measured at each claim's tier, with its verdict: the breakers
    first, then those that keep the claim, then those that cannot be judged."""
    order = {"fails": 0, "holds": 1, "inconclusive": 2, "untested": 3}
    rows = []
    for r in results:
        for v in sorted(r.others, key=lambda v: order[v.status]):
            rows.append([r.claim.id, v.label, v.status, "" if v.status == "holds" else v.reason])
    return rows


TABLE_COLUMNS = ["the course says", "measured here", "verdict"]


def table_cells(result: ClaimResult) -> list[str]:
    """One claim in the short performance table, in the order of :data:`TABLE_COLUMNS`."""
    c, v = result.claim, result.verdict
    measured = []
    if v.median_s is not None:
        measured.append(_median(v, c.measure == "item"))
    if v.peak_bytes is not None:
        measured.append(f"peak heap {human_bytes(v.peak_bytes)}")
    if v.exponent is not None:
        measured.append(f"{'heap' if c.growth_of == 'memory' else 'time'} growth {_growth(v)}")
    where = f"{c.system} {c.tier}" + (f", {v.label}" if v.median_s is not None or v.peak_bytes else "")
    return [f"{c.text} ({c.id})", f"{'; '.join(measured) or '-'} [{where}]", verdict_text(v)]


def claims_markdown(results: Sequence[ClaimResult]) -> str:
    """The claims table, then which strategies break each claim, then how each bound is read."""
    text = markdown_table(CLAIM_COLUMNS, [claim_cells(r) for r in results])
    rows = others_rows(results)
    if rows:
        text += "\nThe other strategies measured at each claim's tier, and which break it:\n\n"
        text += markdown_table(OTHERS_COLUMNS, rows)
    text += "\nHow the course's words are read:\n\n"
    text += "".join(f"- **{r.claim.id}** ({r.claim.where}): {r.claim.reading}\n" for r in results)
    return text


def claims_document(results: Sequence[ClaimResult], prov: Provenance, command: str = "lab verify") -> str:
    """``results/claims.md``: the short performance table (the part the README copies, between
    markers), then every claim's bounds and measurements, with the provenance of the data."""
    return (
        "# The course's claims, measured\n\n"
        f"{README_START}\n"
        + markdown_table(TABLE_COLUMNS, [table_cells(r) for r in results])
        + f"\nMedians of the timed repeats with their IQR in brackets; peak heap by memray in a "
        f"separate run. {prov.text()} Generated by `{command}`; details in `results/claims.md`.\n"
        f"{README_END}\n\n"
        "## Every bound\n\n"
        "Verdicts are computed from the latest record of each strategy, never stored; growth is "
        "the fitted exponent of the cost against the items done across tiers (least squares on "
        "log-log, `scipy.stats.linregress`), with its 95% margin (Student's t). A growth bound "
        "holds or fails only when it lies outside that interval, and is inconclusive otherwise. "
        "A fit of three tiers has one degree of freedom: its margin is wide, a weak fit, and "
        "says so.\n\n" + claims_markdown(results)
    )


GROWTH_COLUMNS = ["strategies", "time growth", "heap growth"]

INTRO = (
    "Each figure is the latest record of its benchmark: medians of the timed repeats with "
    "their IQR, peak heap by memray in a separate run; ratios are to each axis's reference "
    "strategy on the same tier, measured in the same sweep; growth is the slope of log(cost) against "
    "log(items done) across tiers."
)


def _growth(v: Verdict) -> str:
    """The growth a verdict measured, with its margin, as its check states it."""
    for check in v.checks:
        if check.name.endswith("growth") and v.exponent is not None:
            return check.measured
    return _exponent(v.exponent)


def _exponent(k: float | None) -> str:
    return "-" if k is None else f"n^{k:.2f}"


def growth_rows(view: View) -> list[list[str]]:
    """Each strategy of ``view`` with its fitted time and heap growth, in :data:`GROWTH_COLUMNS` order."""
    return [[s.label, _exponent(s.time_exponent), _exponent(s.memory_exponent)] for s in view.series]


def _view_markdown(view: View, image: str | None) -> str:
    text = f"### {view.system}: {view.axis}" + ("" if view.source == "lab" else f" ({view.source})") + "\n\n"
    if view.reference:
        text += f"Reference: {view.reference}.\n\n"
    if image:
        text += f"![{view.system} {view.axis}: time and peak heap against {view.unit}]({image})\n\n"
    text += markdown_table(GROWTH_COLUMNS, growth_rows(view)) + "\n"
    return text + markdown_table(columns(view.rows), row_cells(view.rows)) + "\n"


def report_markdown(report: Report, images: Mapping[str, str] | None = None) -> str:
    """``results/REPORT.md``; ``images`` maps a view's id to its plot's relative path."""
    images = images or {}
    text = "# lab report\n\n" + report.provenance.text() + "\n\n" + INTRO + "\n\n"
    if report.claims:
        text += "## Claims\n\n" + claims_markdown(report.claims) + "\n"
    for section in report.sections:
        title = section.system + ("" if section.source == "lab" else f" ({section.source})")
        text += f"## {title}\n\n"
        text += "".join(_view_markdown(v, images.get(v.id)) for v in section.views)
    return text


def _between(text: str, start: str, end: str) -> tuple[int, int] | None:
    i, j = text.find(start), text.find(end)
    return (i + len(start), j) if i >= 0 and j >= i + len(start) else None


def replace_marked(text: str, body: str, start: str = START, end: str = END) -> str | None:
    """``text`` with what lies between the ``start`` and ``end`` markers replaced by ``body``;
    ``None`` when the markers are missing or out of order."""
    span = _between(text, start, end)
    if span is None:
        return None
    return text[: span[0]] + "\n" + body.strip() + "\n" + text[span[1] :]


def readme_body(claims_md: str) -> str | None:
    """The README's generated section: the short table of ``claims.md`` (``None`` without its markers)."""
    span = _between(claims_md, README_START, README_END)
    if span is None:
        return None
    note = "<!-- generated by `lab report` from results/claims.md: do not edit by hand -->"
    return note + "\n" + claims_md[span[0] : span[1]].strip() + "\n"
