"""The strategy registry and the tiers: completing choices, listing combinations, and saying
why a strategy cannot run here."""

from __future__ import annotations

import itertools

import pytest

from lab import harness, strategies
from lab.analytics import SYSTEM
from lab.analytics.methods import BLOCK_ONLY, ROW_ONLY
from lab.analytics.readers import READERS
from lab.errors import UsageError
from lab.strategies import Axis, Strategy, System
from lab.systems import get_system, systems
from lab.tiers import DEFAULT_TIERS, TIERS, Tier, get, parse_tiers

S = Strategy


def toy(conflict=None, applies=None, extra=()):
    """A small system: shape (square, round) x fill (solid, striped, dotted)."""
    options = {}
    if conflict:
        options["conflict"] = conflict
    if applies:
        options["applies"] = applies
    return System(
        name="toy",
        description="a system for registry tests",
        unit="items",
        axes=(
            Axis(
                "shape",
                "the outline",
                (S("square", "four sides"), S("round", "no corners"), *extra),
                "square",
            ),
            Axis(
                "fill",
                "the inside",
                (S("solid", "one colour"), S("striped", "lines"), S("dotted", "dots")),
                "solid",
            ),
        ),
        params={"size": 3},
        **options,
    )


def no_round_solid(choices):
    if choices.get("shape") == "round" and choices.get("fill") == "solid":
        return "round shapes cannot be solid"
    return None


# --- a toy system: the rules themselves -----------------------------------------------------


def test_reference_is_every_axis_at_its_reference():
    assert toy().reference() == {"shape": "square", "fill": "solid"}


def test_complete_fills_the_first_compatible_strategy_reference_first():
    system = toy(no_round_solid)
    assert system.complete({}) == {"shape": "square", "fill": "solid"}
    assert system.complete({"fill": "dotted"}) == {"shape": "square", "fill": "dotted"}
    # the reference fill does not go with round: the next fill in declared order does
    assert system.complete({"shape": "round"}) == {"shape": "round", "fill": "striped"}
    # the reference shape does fit solid, so it is kept
    assert system.complete({"fill": "solid"}) == {"shape": "square", "fill": "solid"}


def test_complete_refuses_what_cannot_work():
    system = toy(no_round_solid)
    with pytest.raises(UsageError, match="shape=round fill=solid cannot work: round shapes cannot be solid"):
        system.complete({"shape": "round", "fill": "solid"})
    with pytest.raises(
        UsageError, match=r"unknown strategy 'hexagon' for axis 'shape' \(choose from: square, round\)"
    ):
        system.complete({"shape": "hexagon"})
    with pytest.raises(
        UsageError, match=r"unknown axis 'colour' for system 'toy' \(choose from: shape, fill\)"
    ):
        system.complete({"colour": "red"})


def test_complete_refuses_an_axis_that_does_not_apply():
    system = toy(applies=lambda axis, chosen: axis == "shape" or chosen.get("shape") != "round")
    assert system.complete({"shape": "round"}) == {"shape": "round"}
    with pytest.raises(UsageError, match="axis 'fill' does not apply to shape=round"):
        system.complete({"shape": "round", "fill": "dotted"})


def test_combinations_lists_exactly_the_valid_ones():
    system = toy(no_round_solid)
    valid = [
        {"shape": s, "fill": f}
        for s, f in itertools.product(("square", "round"), ("solid", "striped", "dotted"))
        if (s, f) != ("round", "solid")
    ]
    assert system.combinations() == valid
    assert system.combinations("shape") == [
        {"shape": "square", "fill": "solid"},
        {"shape": "round", "fill": "striped"},
    ]
    assert system.combinations("fill") == [
        {"shape": "square", "fill": "solid"},
        {"shape": "square", "fill": "striped"},
        {"shape": "square", "fill": "dotted"},
    ]


def test_combinations_leave_out_axes_that_do_not_apply():
    system = toy(applies=lambda axis, chosen: axis == "shape" or chosen.get("shape") != "round")
    combos = system.combinations()
    assert {"shape": "round"} in combos
    assert len(combos) == 3 + 1  # square with each fill, round alone, listed once


def test_split_separates_choices_from_parameters():
    system = toy()
    assert system.split({"shape": "round", "size": "12"}) == ({"shape": "round"}, {"size": 12})
    with pytest.raises(UsageError, match="parameter 'size' takes a whole number, not 'big'"):
        system.split({"size": "big"})
    with pytest.raises(UsageError, match="unknown strategy 'x' for axis 'fill'"):
        system.split({"fill": "x"})


def test_unavailable_for_a_missing_package():
    ghost = S("ghost", "needs a package nobody has", packages=("lab_no_such_package_anywhere",))
    reason = ghost.unavailable()
    assert reason == (
        "needs the Python package 'lab_no_such_package_anywhere' (pip install lab_no_such_package_anywhere)"
    )
    system = toy(extra=(ghost,))
    assert system.unavailable({"shape": "square", "fill": "solid"}) is None
    assert system.unavailable({"shape": "ghost", "fill": "solid"}) == f"shape=ghost {reason}"
    runnable, skipped = harness.sweep_plan(system, ["shape"])
    assert {"shape": "ghost", "fill": "solid"} not in runnable
    assert skipped == [({"shape": "ghost", "fill": "solid"}, f"shape=ghost {reason}")]


@pytest.mark.parametrize(
    ("service", "variable", "url"),
    [
        ("redis", "LAB_REDIS_URL", "redis://127.0.0.1:{port}/0"),
        ("postgres", "LAB_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:{port}/test"),
    ],
)
def test_unavailable_for_an_unreachable_service(monkeypatch, closed_port, service, variable, url):
    where = url.format(port=closed_port)
    monkeypatch.setenv(variable, where)
    strategy = S("remote", "keeps its data elsewhere", services=(service,))
    reason = strategy.unavailable()
    assert reason == f"needs {service.capitalize()} at {where} (set {variable})"
    assert toy(extra=(strategy,)).unavailable({"shape": "remote"}) == f"shape=remote {reason}"


def test_an_available_strategy_has_no_reason():
    assert S("plain", "needs nothing", packages=("json",)).unavailable() is None


# --- the analytics system --------------------------------------------------------------------


def test_analytics_is_registered():
    assert get_system("analytics") is SYSTEM
    assert SYSTEM in systems()
    assert strategies.register(SYSTEM) is SYSTEM and list(strategies.REGISTRY).count("analytics") == 1
    with pytest.raises(UsageError, match=r"unknown system 'nope' \(choose from: .*analytics"):
        get_system("nope")


def test_analytics_reference():
    reference = {"engine": "lab", "reader": "generator", "stats": "welford", "quantiles": "none"}
    assert SYSTEM.reference() == reference


def test_analytics_complete_fills_references():
    def lab(reader: str, stats: str) -> dict[str, str]:
        return {"engine": "lab", "reader": reader, "stats": stats, "quantiles": "none"}

    assert SYSTEM.complete({"reader": "list"}) == lab("list", "welford")
    assert SYSTEM.complete({"reader": "chunked"}) == lab("chunked", "chan")
    assert SYSTEM.complete({"stats": "chan"}) == lab("chunked", "chan")
    assert SYSTEM.complete({"stats": "naive"}) == lab("generator", "naive")


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_analytics_peer_engine_has_no_reader(engine):
    assert SYSTEM.complete({"engine": engine}) == {"engine": engine}
    for axis, name in (("reader", "list"), ("stats", "welford")):
        with pytest.raises(UsageError, match=f"axis '{axis}' does not apply to engine={engine}"):
            SYSTEM.complete({"engine": engine, axis: name})


def test_analytics_refuses_impossible_pairs():
    with pytest.raises(
        UsageError, match="chan merges per-block statistics; the list reader yields single rows"
    ):
        SYSTEM.complete({"reader": "list", "stats": "chan"})
    with pytest.raises(UsageError, match="welford takes one value at a time"):
        SYSTEM.complete({"reader": "arrow", "stats": "welford"})


def test_analytics_combinations_are_exactly_the_valid_ones():
    combos = SYSTEM.combinations()
    assert len(combos) == len({tuple(sorted(c.items())) for c in combos})  # no duplicates
    lab = {(c["reader"], c["stats"]) for c in combos if c["engine"] == "lab"}
    expected = {
        (reader, stats)
        for reader, cls in READERS.items()
        for stats in SYSTEM.axis("stats").names()
        if not (cls.kind == "rows" and stats in BLOCK_ONLY)
        and not (cls.kind == "blocks" and stats in ROW_ONLY)
    }
    assert lab == expected
    assert ("list", "chan") not in lab and ("chunked", "welford") not in lab
    peers = [{"engine": name} for name in SYSTEM.axis("engine").names() if name != "lab"]
    assert [c for c in combos if c["engine"] != "lab"] == peers  # a peer engine has no other axis
    assert {"engine": "duckdb"} in peers and {"engine": "polars"} in peers
    for choices in combos:
        assert SYSTEM.conflict(choices) is None
        assert SYSTEM.complete(choices) == choices


def test_analytics_combinations_along_one_axis():
    along = SYSTEM.combinations("reader")
    assert [c["reader"] for c in along] == SYSTEM.axis("reader").names()
    for choices in along:
        assert SYSTEM.complete({"reader": choices["reader"]}) == choices


# --- tiers -----------------------------------------------------------------------------------


def test_tiers():
    assert list(TIERS)[:6] == ["tiny", "small", "medium", "large", "xlarge", "huge"]
    rows = [t.rows for t in TIERS.values()]
    assert rows == sorted(rows) and TIERS["tiny"].rows == 1_000 and TIERS["large"].rows == 1_000_000
    assert all(isinstance(t, Tier) for t in TIERS.values())
    assert not TIERS["huge"].stored and TIERS["huge"].opt_in
    assert all(t.stored and not t.opt_in for n, t in TIERS.items() if n != "huge")
    with pytest.raises(AttributeError):
        TIERS["tiny"].rows = 5  # frozen


def test_tier_lookup_and_parsing():
    assert get("small") is TIERS["small"]
    assert [t.name for t in parse_tiers(None)] == list(DEFAULT_TIERS)
    assert [t.name for t in parse_tiers(" tiny, small ,")] == ["tiny", "small"]
    with pytest.raises(UsageError, match=r"unknown tier 'giant' \(choose from: tiny, small, medium"):
        parse_tiers("tiny,giant")


def test_sweep_plan_over_several_axes_varies_one_at_a_time_and_lists_each_combination_once():
    system = get_system("analytics")
    runnable, _ = harness.sweep_plan(system, ["reader", "stats"])
    reference = system.reference()
    assert runnable.count(reference) == 1
    for choices in runnable:
        differing = {k for k in choices if choices.get(k) != reference.get(k)}
        assert differing <= {"reader", "stats", "executor"}, choices
    assert {c["reader"] for c in runnable} == set(system.axis("reader").names())
    assert {c["stats"] for c in runnable} == set(system.axis("stats").names())
    assert len(runnable) < len(system.combinations())


def test_asv_leaves_out_the_heap_of_engines_whose_peak_does_not_repeat(monkeypatch):
    """duckdb and polars allocate from threads through allocators of their own: asv's heap
    track and whole-process RSS skip them with the reason, before any workload is made; lab's
    engine is tracked."""
    monkeypatch.setenv("LAB_TIERS", "tiny")
    import benchmarks.systems as suite
    from benchmarks.common import label

    for engine in ("duckdb", "polars"):
        assert "allocator of its own" in SYSTEM.heap_unrepeatable(SYSTEM.complete({"engine": engine}))
        with pytest.raises(NotImplementedError, match=f"engine={engine}: it allocates"):
            suite.AnalyticsHeap().setup({}, "tiny", engine)
        with pytest.raises(NotImplementedError, match=f"engine={engine}: it allocates"):
            suite.Analytics().peakmem_scenario.setup({}, "tiny", engine)  # whole-process RSS too
    suite.Analytics().peakmem_scenario.setup({}, "tiny", label(SYSTEM.reference()))  # lab's: kept
    assert SYSTEM.heap_unrepeatable(SYSTEM.reference()) is None
