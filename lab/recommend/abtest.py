"""A/B tests: a deterministic hash assignment, a two-proportion test with a confidence interval
for the lift (statsmodels), and a simulation of many tests that shows the false-positive rate,
the power of the designed effect, and what peeking at the results does to the first.

A user's arm is a hash of the experiment's name and the user's id, so it is stable across runs
and machines and independent between experiments. The test is the score test of two
independent proportions (``test_proportions_2indep``); the lift is ``rate_b - rate_a`` with a
score interval, and the relative lift ``rate_b / rate_a - 1`` with a log-adjusted interval.
The simulation draws every test's counts at once with numpy and tests them in one call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lab.errors import UsageError

__all__ = ["ARMS", "Design", "DESIGN", "Result", "assign", "compare", "p_values", "sample_size", "simulate"]

#: The arms, in the order of their codes.
ARMS = ("A", "B")


def assign(users: Iterable[int], experiment: str) -> np.ndarray:
    """Each user's arm code (0 for A, 1 for B): the parity of a hash of ``experiment:user``."""
    prefix = f"{experiment}:".encode()
    codes = [
        hashlib.blake2b(prefix + str(int(user)).encode(), digest_size=8).digest()[-1] & 1 for user in users
    ]
    return np.asarray(codes, dtype=np.int8)


@dataclass(frozen=True)
class Result:
    """One A/B test (or many, as arrays): rates, the lift with its interval, and the p-value."""

    rate_a: float
    rate_b: float
    lift: float
    lift_ci: tuple[float, float]
    relative_lift: float
    relative_ci: tuple[float, float]
    p_value: float

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


def _check(count: np.ndarray, nobs: np.ndarray) -> None:
    if np.any(nobs <= 0) or np.any(count < 0) or np.any(count > nobs):
        raise UsageError("an A/B test needs 0 <= conversions <= users and at least one user per arm")


def p_values(count_a: np.ndarray, nobs_a: np.ndarray, count_b: np.ndarray, nobs_b: np.ndarray) -> np.ndarray:
    """The two-sided p-values of the score test of ``rate_b == rate_a``, element by element."""
    from statsmodels.stats.proportion import test_proportions_2indep

    found = test_proportions_2indep(count_b, nobs_b, count_a, nobs_a, method="score", compare="diff")
    return np.asarray(found.pvalue, dtype=np.float64)


def compare(count_a: int, nobs_a: int, count_b: int, nobs_b: int, alpha: float = 0.05) -> Result:
    """Test arm B's conversion rate against arm A's, with ``1 - alpha`` intervals for the lift."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check(np.array([count_a, count_b]), np.array([nobs_a, nobs_b]))
    rate_a, rate_b = count_a / nobs_a, count_b / nobs_b
    low, high = confint_proportions_2indep(
        count_b, nobs_b, count_a, nobs_a, method="score", compare="diff", alpha=alpha
    )
    if count_a and count_b:
        r_low, r_high = confint_proportions_2indep(
            count_b, nobs_b, count_a, nobs_a, method="log-adjusted", compare="ratio", alpha=alpha
        )
        relative = (rate_b / rate_a - 1, (float(r_low) - 1, float(r_high) - 1))
    else:
        relative = (float("nan"), (float("nan"), float("nan")))
    p = float(p_values(np.array(count_a), np.array(nobs_a), np.array(count_b), np.array(nobs_b)))
    return Result(rate_a, rate_b, rate_b - rate_a, (float(low), float(high)), relative[0], relative[1], p)


@dataclass(frozen=True)
class Design:
    """An experiment's design: the base rate, the absolute lift it is sized to find, alpha, the
    power it is sized for, and how the simulation runs it (tests, looks for peeking)."""

    base: float = 0.10
    lift: float = 0.02
    alpha: float = 0.05
    power: float = 0.9
    tests: int = 1000
    looks: int = 10


#: The design ``lab recommend-insights`` simulates.
DESIGN = Design()


def sample_size(design: Design = DESIGN) -> int:
    """Users per arm for ``design.power`` at ``design.alpha`` (statsmodels' normal power analysis)."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    effect = proportion_effectsize(design.base + design.lift, design.base)
    n = NormalIndPower().solve_power(effect, alpha=design.alpha, power=design.power, alternative="two-sided")
    return int(np.ceil(n))


def simulate(design: Design = DESIGN, seed: int = 0, users: int | None = None) -> dict[str, float]:
    """Run ``design.tests`` A/B tests of ``users`` per arm (default: the design's sample size)
    twice, without and with the designed lift; each is looked at ``design.looks`` times as its
    users arrive. Returns the false-positive rate (no true effect, looked at once at the end),
    the power (the designed lift, at the end), and the false-positive rate of stopping at the
    first significant look (peeking)."""
    n = users or sample_size(design)
    if n < design.looks:
        raise UsageError(f"{n} users per arm cannot be looked at {design.looks} times")
    rng = np.random.default_rng([seed, n, design.tests, 11])
    edges = np.linspace(0, n, design.looks + 1).round().astype(np.int64)
    seen = edges[1:]

    def arm(rate: float) -> np.ndarray:
        return np.cumsum(rng.binomial(np.diff(edges), rate, size=(design.tests, design.looks)), axis=1)

    a, null_b, lifted_b = arm(design.base), arm(design.base), arm(design.base + design.lift)
    null = p_values(a, seen, null_b, seen) < design.alpha
    lifted = p_values(a, seen, lifted_b, seen) < design.alpha
    return {
        "users_per_arm": float(n),
        "false_positive_rate": float(null[:, -1].mean()),
        "power": float(lifted[:, -1].mean()),
        "peeking_false_positive_rate": float(null.any(axis=1).mean()),
        "peeking_power": float(lifted.any(axis=1).mean()),
    }
