"""Comparing two sets of records: per benchmark, the ratio B/A of a metric and whether the
difference counts.

For wall time (``metric="time"``) the ratio is of medians and the difference must be
significant (two-sided Mann-Whitney U on the raw samples, as asv does) and beyond
the factor. For instructions executed (``metric="instructions"``, counted under
valgrind) the count is deterministic: a change is any ratio beyond the factor.

Records of an interleaved run (``lab compare A B --run SYSTEM``) are compared round by
round instead: the medians of A and B in each round ran back to back, so the drift of the
machine hits both, and the samples of one process are not independent of each other.
The test is a Wilcoxon signed-rank test on the per-round log ratios, and the ratio the
median of the per-round ratios; with r rounds its smallest two-sided p-value is 2 / 2^r.
Beyond the factor is tested, not only read off the median: a slowdown is the rounds'
ratios lying significantly above the factor (one-sided, on log ratio - log factor), a
speed-up significantly below its inverse; a pair that differs from 1 significantly but
not from the factor is "within factor". So a no-op pair is called slower only when its
rounds say, together, that it is beyond the factor.

Significance needs enough samples for the test to be able to reject at all: the
smallest two-sided p-value of an exact Mann-Whitney U test with m and n samples
is 2 / C(m+n, m), so with 3 + 3 samples it is 0.1 and nothing can be significant
at 0.05; 4 + 4 (0.029) or 3 + 5 (0.036) is the least that can be.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from lab.report.select import Record, label, latest_by

__all__ = [
    "Change",
    "significance",
    "min_p_value",
    "compare",
    "slowdowns",
    "unjudged",
    "ALPHA",
    "FACTOR",
    "FACTORS",
    "METRICS",
]

#: The significance level.
ALPHA = 0.05
#: ``lab compare``'s default for wall time: changes within 10% are not called slower or faster
#: (asv's default).
FACTOR = 1.1
#: The default factor of each metric: instruction counts repeat to about 0.02%, so 1% is wide.
FACTORS = {"time": FACTOR, "instructions": 1.01}
METRICS = tuple(FACTORS)

Verdict = Literal[
    "slower",
    "faster",
    "within factor",
    "not significant",
    "too few samples",
    "not measured",
    "only in A",
    "only in B",
]


@dataclass(frozen=True)
class Change:
    """One benchmark in A and B."""

    system: str
    tier: str
    label: str
    a_median_s: float | None
    b_median_s: float | None
    ratio: float | None
    p_value: float | None
    verdict: Verdict
    a_samples: int = 0
    b_samples: int = 0
    a_instructions: int | None = None
    b_instructions: int | None = None
    #: Judged round by round (records of one interleaved run), not as two pools of samples.
    paired: bool = False


def min_p_value(m: int, n: int) -> float:
    """The smallest two-sided p-value an exact Mann-Whitney U test can give with ``m`` and ``n`` samples."""
    return min(1.0, 2 / math.comb(m + n, m)) if m and n else 1.0


def significance(
    a: Sequence[float], b: Sequence[float], alpha: float = ALPHA
) -> tuple[float | None, Literal["significant", "not significant", "too few samples"]]:
    """The two-sided Mann-Whitney U p-value of ``a`` against ``b``, and what it says at ``alpha``.

    ``"too few samples"`` (p ``None``) when no outcome of the test could reach ``alpha``.
    """
    if min_p_value(len(a), len(b)) >= alpha:
        return None, "too few samples"
    from scipy.stats import mannwhitneyu

    p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return p, "significant" if p < alpha else "not significant"


def round_ratios(a: Record, b: Record) -> list[float] | None:
    """B/A of the medians of each round when both records come from one interleaved run, else
    ``None``; empty when a median is not positive (nothing to judge)."""
    if a.get("source") != "interleaved" or b.get("source") != "interleaved":
        return None
    rounds = (a.get("extras") or {}).get("rounds")
    sa, sb = a.get("samples") or [], b.get("samples") or []
    if (
        not rounds
        or a.get("run_id") != b.get("run_id")
        or (b.get("extras") or {}).get("rounds") != rounds
        or len(sa) != len(sb)
        or len(sa) % rounds
    ):
        return None
    per = len(sa) // rounds
    medians = [
        (statistics.median(sa[i * per : (i + 1) * per]), statistics.median(sb[i * per : (i + 1) * per]))
        for i in range(rounds)
    ]
    if any(x <= 0 or y <= 0 for x, y in medians):
        return []
    return [y / x for x, y in medians]


def paired_significance(
    ratios: Sequence[float], alpha: float = ALPHA
) -> tuple[float | None, Literal["significant", "not significant", "too few samples"]]:
    """The two-sided Wilcoxon signed-rank p-value of the log of the per-round ratios B/A."""
    if 2 / 2 ** len(ratios) >= alpha:
        return None, "too few samples"
    return _wilcoxon([math.log(r) for r in ratios], "two-sided", alpha)


def beyond_factor(
    ratios: Sequence[float], factor: float, alpha: float = ALPHA
) -> tuple[Verdict, float] | None:
    """``("slower", p)`` when the per-round ratios lie significantly above ``factor`` (one-sided
    Wilcoxon signed-rank on log ratio - log factor), ``("faster", p)`` significantly below
    ``1 / factor``; ``None`` when neither."""
    margin = math.log(factor)
    logs = [math.log(r) for r in ratios]
    for verdict, shift, side in (("slower", -margin, "greater"), ("faster", margin, "less")):
        p, said = _wilcoxon([x + shift for x in logs], side, alpha)
        if said == "significant":
            return verdict, p  # type: ignore[return-value]
    return None


def _wilcoxon(
    diffs: Sequence[float], side: str, alpha: float
) -> tuple[float, Literal["significant", "not significant"]]:
    if not any(diffs):
        return 1.0, "not significant"
    from scipy.stats import wilcoxon

    p = float(wilcoxon(diffs, alternative=side).pvalue)
    return p, "significant" if p < alpha else "not significant"


def _name(record: Record) -> str:
    name = label(record.get("choices", {}))
    params = record.get("params") or {}
    if params:
        name += " " + label({k: str(v) for k, v in params.items()})
    return name


def _change(a: Record | None, b: Record | None, alpha: float, factor: float, metric: str) -> Change:
    some = a or b
    assert some is not None
    name = _name(some)
    a_med = a.get("median_s") if a else None
    b_med = b.get("median_s") if b else None
    a_ins = a.get("instructions") if a else None
    b_ins = b.get("instructions") if b else None
    head = (some["system"], some["tier"], name, a_med, b_med)
    if a is None or b is None:
        verdict: Verdict = "only in B" if a is None else "only in A"
        return Change(*head, None, None, verdict, a_instructions=a_ins, b_instructions=b_ins)
    if metric == "instructions":
        if not a_ins or b_ins is None:
            return Change(*head, None, None, "not measured", a_instructions=a_ins, b_instructions=b_ins)
        ratio = b_ins / a_ins
        verdict = "slower" if ratio > factor else "faster" if ratio < 1 / factor else "within factor"
        return Change(*head, ratio, None, verdict, 1, 1, a_ins, b_ins)
    ratio = b_med / a_med if a_med and b_med is not None else None
    sa, sb = a.get("samples") or [], b.get("samples") or []
    ratios = round_ratios(a, b)
    if ratios is None:
        p, said = significance(sa, sb, alpha)
        if said == "significant" and ratio is not None and 1 / factor <= ratio <= factor:
            verdict = "within factor"
        elif said == "significant":
            verdict = "slower" if (ratio or 1) > 1 else "faster"
        else:
            verdict = said
    else:
        p, said = paired_significance(ratios, alpha)
        if ratios:
            ratio = statistics.median(ratios)
        beyond = beyond_factor(ratios, factor, alpha) if said == "significant" else None
        if beyond is not None:
            verdict, p = beyond
        else:  # significant: different from 1, not shown beyond the factor
            verdict = "within factor" if said == "significant" else said
    return Change(*head, ratio, p, verdict, len(sa), len(sb), a_ins, b_ins, ratios is not None)


def compare(
    a: Sequence[Record],
    b: Sequence[Record],
    alpha: float = ALPHA,
    factor: float = 1.0,
    metric: str = "time",
) -> list[Change]:
    """Match the latest record of each benchmark (system, tier, choices, params) in ``a`` and ``b``.

    A significant change whose ratio lies within ``[1/factor, factor]`` is called
    ``"within factor"``, as asv's ``--factor`` does: runs minutes apart on a shared
    machine drift by more than their samples spread, so significance alone flags
    A/A pairs (see ``lab compare --help``). With ``metric="instructions"`` the latest
    record that counted instructions is used.
    """
    field = "instructions" if metric == "instructions" else None
    latest_a, latest_b = _latest(a, field), _latest(b, field)
    keys = list(dict.fromkeys([*latest_a, *latest_b]))
    keys.sort(key=_order(latest_a, latest_b))
    return [_change(latest_a.get(k), latest_b.get(k), alpha, factor, metric) for k in keys]


def _latest(records: Sequence[Record], field: str | None) -> dict:
    if field is None:
        return latest_by(records)
    counted = latest_by([r for r in records if r.get(field)])
    return {**latest_by(records), **counted}


def unjudged(changes: Sequence[Change]) -> list[Change]:
    """The benchmarks in both A and B that the comparison could not judge."""
    return [c for c in changes if c.verdict in ("too few samples", "not measured")]


def _order(*groups: dict) -> Callable[[tuple[str, str, str, str]], tuple[str, int, int]]:
    """Sort benchmarks by system, then rows, then the order they first appeared."""
    first = {k: i for i, k in enumerate(k for g in groups for k in g)}

    def key(k: tuple[str, str, str, str]) -> tuple[str, int, int]:
        record = next(g[k] for g in groups if k in g)
        return (k[0], record.get("n") or 0, first[k])

    return key


def slowdowns(changes: Sequence[Change], above: float) -> list[Change]:
    """The significant slowdowns whose ratio B/A exceeds ``above``."""
    return [c for c in changes if c.verdict == "slower" and c.ratio is not None and c.ratio > above]
