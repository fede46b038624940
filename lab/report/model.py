"""What a report shows, computed from records: per system and axis, the ratio rows and the
growth series of each strategy, plus where and when the data was measured."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lab.measure.growth import fit_exponent
from lab.measure.records import machine_text
from lab.report.select import Record, complete, label, latest_by, sort_key
from lab.report.summary import SummaryRow, summarize
from lab.report.verdicts import ClaimResult
from lab.tiers import TIERS

__all__ = [
    "Layout",
    "Point",
    "Series",
    "View",
    "Section",
    "Provenance",
    "Report",
    "build",
    "provenance",
    "machine_text",
]


@dataclass(frozen=True)
class Layout:
    """A system's shape, from the registry: its reference choices and each axis's combinations.

    Records of combinations no axis lists are shown in a view called ``other``.
    """

    system: str
    reference: Mapping[str, str]
    axes: Mapping[str, Sequence[Mapping[str, str]]]
    unit: str = "items"
    references: Mapping[str, str] = field(default_factory=dict)

    def baseline(self, axis: str) -> Mapping[str, str]:
        """What an axis's view is compared with: its combination with the axis at its own
        reference strategy (``executor=serial`` beside the other executors of the same reader),
        else the system's reference."""
        combos = self.axes.get(axis, ())
        own = self.references.get(axis)
        if own is None or not combos:
            return self.reference
        found = next((c for c in combos if c.get(axis) == own), None)
        return found if found is not None else {**combos[0], axis: own}


@dataclass(frozen=True)
class Point:
    tier: str
    n: int
    median_s: float | None
    iqr_s: float | None
    peak_bytes: int | None


@dataclass(frozen=True)
class Series:
    """One strategy across tiers, with the fitted growth exponents of its time and peak heap."""

    label: str
    short: str
    points: tuple[Point, ...]
    time_exponent: float | None
    memory_exponent: float | None


@dataclass(frozen=True)
class View:
    """One axis of a system (``axis`` is ``"all"`` without a layout): rows and series."""

    system: str
    source: str
    axis: str
    rows: tuple[SummaryRow, ...]
    series: tuple[Series, ...]
    reference: str = ""
    unit: str = "items"

    @property
    def id(self) -> str:
        suffix = "" if self.source == "lab" else f"-{self.source}"
        return f"{self.system}{suffix}-{self.axis}"


@dataclass(frozen=True)
class Section:
    system: str
    source: str
    views: tuple[View, ...]


@dataclass(frozen=True)
class Provenance:
    """Where, when and from which commits the data came."""

    records: int
    machines: tuple[str, ...]
    commits: tuple[str, ...]
    first: str
    last: str
    sources: Mapping[str, int] = field(default_factory=dict)

    def text(self) -> str:
        if not self.records:
            return "No records yet."
        sources = ", ".join(f"{n} from {s}" for s, n in self.sources.items())
        when = self.first[:16].replace("T", " ") + " to " + self.last[:16].replace("T", " ") + " UTC"
        return (
            f"{self.records} records ({sources}), measured {when} on {'; '.join(self.machines)}; "
            f"commit{'s' if len(self.commits) > 1 else ''} {', '.join(self.commits)}."
        )


@dataclass(frozen=True)
class Report:
    provenance: Provenance
    sections: tuple[Section, ...]
    claims: tuple[ClaimResult, ...]


def provenance(records: Sequence[Record]) -> Provenance:
    """The machines, commits and time span of ``records``."""
    machines = dict.fromkeys(machine_text(r.get("machine") or {}) for r in records)
    commits = dict.fromkeys(str(r.get("commit") or "unknown") for r in records)
    stamps = sorted(sort_key(r) for r in records if r.get("timestamp"))
    sources: dict[str, int] = {}
    for r in records:
        sources[r.get("source", "lab")] = sources.get(r.get("source", "lab"), 0) + 1
    return Provenance(
        len(records),
        tuple(machines),
        tuple(commits),
        stamps[0] if stamps else "",
        stamps[-1] if stamps else "",
        sources,
    )


def _tier_order(record: Record) -> tuple[int, int]:
    names = list(TIERS)
    index = names.index(record["tier"]) if record["tier"] in names else len(names)
    return index, record.get("n") or 0


def _series(records: Sequence[Record], reference: Mapping[str, str]) -> tuple[Series, ...]:
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(label(r["choices"]), []).append(r)
    out = []
    for name, rs in groups.items():
        rs = sorted(rs, key=_tier_order)
        points = tuple(Point(r["tier"], r["n"], r["median_s"], r["iqr_s"], r.get("peak_bytes")) for r in rs)
        timed = [(p.n, p.median_s) for p in points if p.median_s]
        heaped = [(p.n, p.peak_bytes) for p in points if p.peak_bytes]
        diff = label({k: v for k, v in rs[0]["choices"].items() if reference.get(k) != v})
        short = diff or "reference"
        out.append(
            Series(
                name,
                short,
                points,
                fit_exponent(*zip(*timed, strict=True)) if len(timed) > 1 else None,
                fit_exponent(*zip(*heaped, strict=True)) if len(heaped) > 1 else None,
            )
        )
    return tuple(out)


def _view(
    system: str,
    source: str,
    axis: str,
    records: Sequence[Record],
    reference: Mapping[str, str],
    unit: str,
    pool: Sequence[Record],
) -> View:
    ordered = sorted(records, key=_tier_order)
    rows = tuple(summarize(ordered, reference, pool))
    return View(system, source, axis, rows, _series(ordered, reference), label(reference), unit)


def build(
    records: Sequence[Record],
    layouts: Mapping[str, Layout],
    claims: Sequence[ClaimResult] = (),
) -> Report:
    """The report of ``records``: the latest complete record of each benchmark, by system and
    source; each ratio is to the reference measured in the same sweep where there is one."""
    pool = complete(records)
    current = list(latest_by(pool).values())
    sections = []
    for system, source in dict.fromkeys((r["system"], r.get("source", "lab")) for r in current):
        mine = [r for r in current if r["system"] == system and r.get("source", "lab") == source]
        layout = layouts.get(system)
        unit = layout.unit if layout else str(mine[0].get("item") or "items")
        if layout is None:
            views = [_view(system, source, "all", mine, {}, unit, pool)]
        else:
            views, shown = [], []
            for axis, combos in layout.axes.items():
                wanted = [dict(c) for c in combos] + [dict(layout.baseline(axis))]
                chosen = [r for r in mine if dict(r["choices"]) in wanted]
                shown += chosen
                if chosen:
                    views.append(_view(system, source, axis, chosen, layout.baseline(axis), unit, pool))
            rest = [r for r in mine if r not in shown]
            if rest:
                ref = [r for r in mine if dict(r["choices"]) == dict(layout.reference)]
                views.append(_view(system, source, "other", ref + rest, layout.reference, unit, pool))
        sections.append(Section(system, source, tuple(views)))
    return Report(provenance(current), tuple(sections), tuple(claims))
