"""Churn probability learnt online, LTV predicted, and the features that drive churn named.

Users' outcomes arrive as a stream of events (a user's features and whether they churned
within the horizon), in batches; each batch updates a scaler and a logistic model by
scikit-learn's ``partial_fit``, so the model never sees the whole history at once. A batch
fit of the same model (``LogisticRegression``) on the same events is the yardstick for the
online one; the generating model's own AUC is the yardstick for both. Counts and money are
skewed, so the features go in as ``log1p``. LTV is a gradient-boosted regressor (Poisson loss:
spend is never negative) scored against the spending model's own expectation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lab.recommend import behaviour

__all__ = [
    "ONLINE_TOLERANCE",
    "Split",
    "OnlineChurn",
    "split",
    "train_online",
    "fit_batch",
    "auc",
    "importance",
    "fit_ltv",
    "ltv_errors",
]

#: How far (in AUC on the held-out users) the online model may fall from a batch fit.
ONLINE_TOLERANCE = 0.01
#: The share of users held out from training.
HELD_OUT = 0.3
#: Events per ``partial_fit`` call.
BATCH = 256


@dataclass(frozen=True)
class Split:
    """Training users (in the order their events arrive) and held-out users, as row indices."""

    train: np.ndarray
    test: np.ndarray


def split(users: int, seed: int) -> Split:
    """A deterministic split: ``HELD_OUT`` of the users held out, the rest in arrival order."""
    order = np.random.default_rng([seed, users, 7]).permutation(users)
    cut = int(round(users * (1 - HELD_OUT)))
    return Split(order[:cut], np.sort(order[cut:]))


def _inputs(x: np.ndarray) -> np.ndarray:
    return np.log1p(x)


class OnlineChurn:
    """A ``StandardScaler`` and an ``SGDClassifier`` (log loss), both updated by ``partial_fit``."""

    def __init__(self, seed: int = 0) -> None:
        from sklearn.linear_model import SGDClassifier
        from sklearn.preprocessing import StandardScaler

        self.scaler = StandardScaler()
        self.model = SGDClassifier(loss="log_loss", alpha=1e-4, average=True, random_state=seed)
        self.events = 0

    def learn(self, x: np.ndarray, churned: np.ndarray) -> None:
        """Update with one batch of events."""
        z = _inputs(x)
        self.scaler.partial_fit(z)
        self.model.partial_fit(self.scaler.transform(z), churned, classes=np.array([False, True]))
        self.events += len(x)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Churn probability of each row of ``x``."""
        return self.model.predict_proba(self.scaler.transform(_inputs(x)))[:, 1]

    def estimator(self) -> Any:
        """The fitted model as one scikit-learn estimator on raw features (for ``sklearn.inspection``)."""
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        log = FunctionTransformer(np.log1p).fit(np.zeros((1, len(behaviour.FEATURES))))
        return make_pipeline(log, self.scaler, self.model)


def train_online(x: np.ndarray, churned: np.ndarray, seed: int = 0, batch: int = BATCH) -> OnlineChurn:
    """The online model after one pass over the events ``x``, ``churned``, ``batch`` at a time."""
    model = OnlineChurn(seed)
    for start in range(0, len(x), batch):
        model.learn(x[start : start + batch], churned[start : start + batch])
    return model


def fit_batch(x: np.ndarray, churned: np.ndarray) -> Any:
    """The same model fitted on every event at once (``LogisticRegression``), as a pipeline."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    return make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression()).fit(
        x, churned
    )


def auc(churned: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC of the probabilities ``p``."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(churned, p))


def importance(
    estimator: Any, x: np.ndarray, churned: np.ndarray, seed: int = 0, repeats: int = 5
) -> dict[str, float]:
    """Mean drop in AUC when each feature is shuffled (``sklearn.inspection``), largest first."""
    from sklearn.inspection import permutation_importance

    found = permutation_importance(
        estimator, x, churned, scoring="roc_auc", n_repeats=repeats, random_state=seed
    )
    pairs = sorted(zip(behaviour.FEATURES, found.importances_mean, strict=True), key=lambda p: -p[1])
    return {name: float(value) for name, value in pairs}


def fit_ltv(x: np.ndarray, spend: np.ndarray, seed: int = 0) -> Any:
    """A gradient-boosted regressor (Poisson loss, early stopping) of the next horizon's spend,
    fitted on one thread: these models are small, and OpenMP threads that wait on a busy
    machine cost far more than they save."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    model = HistGradientBoostingRegressor(
        loss="poisson", max_iter=200, max_leaf_nodes=15, early_stopping=True, random_state=seed
    )
    with threadpool_limits(1):
        return model.fit(x, spend)


def ltv_errors(predicted: np.ndarray, expected: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Mean absolute error of the prediction and of the spending model's own expectation, against
    what was spent; and the prediction's error against that expectation."""
    return {
        "mae": float(np.mean(np.abs(predicted - actual))),
        "mae_truth": float(np.mean(np.abs(expected - actual))),
        "mae_vs_expected": float(np.mean(np.abs(predicted - expected))),
        "mean_expected": float(np.mean(expected)),
    }
