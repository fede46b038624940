"""A system defined outside lab, for the tests that prove the harness takes any system.

``toy`` keeps a running balance of exact decimal amounts: state set up outside the
timed region (an open resource, counted in :data:`OPEN`), changed by every run and
brought back by ``reset``, closed by ``teardown``; a ``Decimal`` answer; one ``lab run``
option of its own (``--fail-after N`` raises after N amounts, to prove teardown runs
after an error). Importing this module registers it (as ``LAB_SYSTEMS=toy_system`` does
for a child process).
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lab import strategies
from lab.errors import InputError
from lab.outcome import Outcome, fingerprint
from lab.strategies import Axis, Command, Option, Strategy, Sweep, System
from lab.tiers import Tier

#: Resources set up and not yet torn down (in this process).
OPEN: list[object] = []


@dataclass
class Ledger:
    """The state of a toy run: the amounts to apply, the balance, and a resource held open."""

    amounts: list[Decimal]
    balance: Decimal = Decimal("0")
    handle: object = field(default_factory=object)
    resets: int = 0


def prepare(tier: Tier, seed: int = 0, progress: Any = None) -> list[Decimal]:
    """``tier.rows // 10`` deterministic amounts with 4 decimal places."""
    rng = random.Random(seed)
    return [Decimal(rng.randrange(-(10**6), 10**6)).scaleb(-4) for _ in range(max(tier.rows // 10, 1))]


def setup(workload: list[Decimal], choices: Mapping[str, str], params: Mapping[str, Any]) -> Ledger:
    ledger = Ledger(list(workload))
    OPEN.append(ledger.handle)
    return ledger


#: Set to N to make the ``loop`` adder run its own loop over half the amounts again N times, into a
#: scratch ledger, while giving the same answer (N=1: 1.5x its work, in instructions and, but for
#: the call's fixed costs, in wall time, on any machine): what a comparison of two runs must catch.
SLOWDOWN_ENV = "TOY_SLOWDOWN"


def run(ledger: Ledger, *, adder: str = "loop", fail_after: int = 0, **options: Any) -> Outcome:
    """Add every amount to the balance (the state changes: only ``reset`` brings it back)."""
    if adder == "builtin":
        ledger.balance += sum(ledger.amounts, Decimal("0"))
    else:
        for _ in range(int(os.environ.get(SLOWDOWN_ENV) or 0)):
            add_one_by_one(Ledger(ledger.amounts[: len(ledger.amounts) // 2]))
        add_one_by_one(ledger, fail_after)
    answer = {"balance": ledger.balance, "count": len(ledger.amounts)}
    return Outcome(answer, fingerprint(answer), len(ledger.amounts), {"amounts": len(ledger.amounts)})


def add_one_by_one(ledger: Ledger, fail_after: int = 0) -> None:
    """The ``loop`` adder's work: each amount added to the balance in turn."""
    for i, amount in enumerate(ledger.amounts, 1):
        if fail_after and i > fail_after:
            raise InputError(f"failed on purpose after {fail_after} amounts")
        ledger.balance += amount


def reset(ledger: Ledger) -> None:
    ledger.balance = Decimal("0")
    ledger.resets += 1


def teardown(ledger: Ledger) -> None:
    OPEN.remove(ledger.handle)


def echo(argv: list[str], prog: str) -> int:
    """``lab toy-echo WORDS``: a subcommand of the system's own."""
    print(f"{prog}: {' '.join(argv)}")
    return 0 if argv else 3


def settings_from(values: Mapping[str, Any]) -> dict[str, str]:
    return {"fail_after": str(values["fail_after"])} if values.get("fail_after") else {}


def render(outcome: Outcome) -> list[str]:
    return [f"  balance {outcome.answer['balance']} over {outcome.answer['count']} amounts"]


SYSTEM = strategies.register(
    System(
        name="toy",
        description="a running balance of exact decimal amounts (a test system)",
        unit="amounts",
        axes=(
            Axis(
                "adder",
                "how the amounts are added",
                (Strategy("loop", "one at a time"), Strategy("builtin", "sum()")),
                reference="loop",
            ),
        ),
        params={"fail_after": 0},
        prepare=prepare,
        setup=setup,
        run=run,
        reset=reset,
        teardown=teardown,
        options=(Option("--fail-after", "raise after N amounts (tests teardown)", int, "N"),),
        settings_from=settings_from,
        render=render,
        sweep=Sweep(("tiny", "small"), (), 5),
        commands=(Command("toy-echo", "print its words (a test command)", echo),),
    )
)
