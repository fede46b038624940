"""Users and what they do: purchases that follow a Zipf law over products, and the hidden model
that decides who churns and how much the others spend next.

The generating model is known, so predictions are scored against the truth: a user's
churn probability depends on recency, frequency and support tickets (the true drivers);
tenure and discount share are recorded but play no part. A user who stays spends, over the
next ``HORIZON_DAYS``, a Poisson number of orders at their past rate, each of their usual
value; ``expected_spend`` is that model's expectation (churn included), the best LTV guess.
Everything is deterministic per seed.
"""

from __future__ import annotations

import numpy as np

from lab.recommend.catalogue import draw_ranks

__all__ = ["FEATURES", "DRIVERS", "HORIZON_DAYS", "features", "generating_auc", "make_users", "purchases"]

#: The features of a user, as columns of the feature matrix.
FEATURES = ("recency_days", "frequency", "monetary", "tenure_days", "support_tickets", "discount_share")
#: The features the hidden churn model uses.
DRIVERS = ("recency_days", "frequency", "support_tickets")
#: Days a churn label looks ahead for spend (LTV horizon).
HORIZON_DAYS = 90


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def make_users(users: int, seed: int) -> dict[str, np.ndarray]:
    """Every user's features, hidden churn probability, churn outcome and next-horizon spend."""
    rng = np.random.default_rng([seed, users, 3])
    tenure = rng.uniform(30, 1000, users)
    frequency = rng.negative_binomial(2, 0.2, users)  # mean 8 purchases, some none
    order_value = rng.lognormal(3.4, 0.5, users)
    monetary = frequency * order_value
    recency = np.minimum(rng.exponential(45, users), tenure)
    tickets = rng.poisson(0.6, users)
    discount = rng.beta(2, 5, users)
    logit = -0.4 + 1.8 * (np.log1p(recency) - 3.3) - 1.1 * (np.log1p(frequency) - 2.0) + 0.9 * (tickets - 0.6)
    churn_p = _sigmoid(logit)
    churned = rng.random(users) < churn_p
    rate = (frequency + 1) / tenure * HORIZON_DAYS
    future = np.where(churned, 0.0, rng.poisson(rate) * order_value)
    expected = (1.0 - churn_p) * rate * order_value  # the spending model's own prediction
    return {
        "recency_days": recency,
        "frequency": frequency.astype(np.float64),
        "monetary": monetary,
        "tenure_days": tenure,
        "support_tickets": tickets.astype(np.float64),
        "discount_share": discount,
        "churn_p": churn_p,
        "churned": churned,
        "future_spend": future,
        "expected_spend": expected,
    }


def features(people: dict[str, np.ndarray]) -> np.ndarray:
    """The users' :data:`FEATURES` as a float64 matrix, one row per user."""
    return np.column_stack([np.asarray(people[name], dtype=np.float64) for name in FEATURES])


def generating_auc(people: dict[str, np.ndarray], rows: np.ndarray | slice = slice(None)) -> float:
    """The ROC AUC of the hidden churn probability itself on ``rows``: the best any model can reach."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(people["churned"][rows], people["churn_p"][rows]))


def purchases(
    frequency: np.ndarray, by_rank: np.ndarray, weights: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, items)``: user ``u`` bought ``items[offsets[u]:offsets[u + 1]]``, oldest first,
    each drawn from the popularity law ``weights`` over products ranked ``by_rank``."""
    rng = np.random.default_rng([seed, len(frequency), 4])
    counts = np.asarray(frequency, dtype=np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets, by_rank[draw_ranks(weights, int(offsets[-1]), rng)]
