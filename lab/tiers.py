"""The named data-size tiers every system reads its sizes from.

``large`` is the scale of the course's performance table (1M rows); ``huge``
(1B rows) is streamed from a generator, never written to disk, and opt-in only.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.errors import UsageError

__all__ = ["Tier", "TIERS", "DEFAULT_TIERS", "get", "parse_tiers"]


@dataclass(frozen=True)
class Tier:
    """One data size: the counts each system reads.

    Attributes
    ----------
    name : the tier's name.
    rows : transaction rows (analytics, ETL).
    users, products, accounts : entity counts (recommendation, finance).
    routes, requests : web system sizes.
    stored : False for tiers streamed from a generator and never written to disk.
    opt_in : True for tiers never included unless named explicitly.
    """

    name: str
    rows: int
    users: int
    products: int
    accounts: int
    routes: int
    requests: int
    stored: bool = True
    opt_in: bool = False


TIERS: dict[str, Tier] = {
    t.name: t
    for t in (
        Tier("tiny", 1_000, 100, 100, 50, 10, 1_000),
        Tier("small", 10_000, 1_000, 1_000, 500, 20, 10_000),
        Tier("medium", 100_000, 10_000, 10_000, 5_000, 50, 100_000),
        Tier("large", 1_000_000, 100_000, 1_000_000, 50_000, 100, 1_000_000),
        Tier("xlarge", 10_000_000, 1_000_000, 10_000_000, 500_000, 200, 10_000_000),
        Tier(
            "huge",
            1_000_000_000,
            10_000_000,
            1_000_000,
            1_000_000,
            500,
            100_000_000,
            stored=False,
            opt_in=True,
        ),
    )
}

#: The tiers ``make run`` and ``lab sweep`` use when none are named.
DEFAULT_TIERS: tuple[str, ...] = ("small", "medium", "large")


def get(name: str) -> Tier:
    """Return the tier called ``name``; a :class:`UsageError` names the valid ones."""
    try:
        return TIERS[name]
    except KeyError:
        raise UsageError(f"unknown tier {name!r} (choose from: {', '.join(TIERS)})") from None


def parse_tiers(text: str | None) -> list[Tier]:
    """Parse a comma-separated list of tier names (``None``: the default tiers)."""
    names = DEFAULT_TIERS if not text else [n.strip() for n in text.split(",") if n.strip()]
    return [get(n) for n in names]
