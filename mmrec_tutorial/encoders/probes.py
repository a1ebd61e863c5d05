"""What does an embedding know? Linear probes per trait, and content-kNN recommendation.

* :func:`linear_probe`: cross-validated accuracy of a linear classifier that reads a label
  (e.g. the hidden genre of an item) off an ``(n, d)`` embedding. The classifier is a ridge
  (least-squares) classifier on standardised features, scikit-learn's ``StandardScaler`` then
  ``RidgeClassifier``: ``W = argmin ||X W - Y||² + λ||W||²`` with ``Y`` the labels coded as ±1
  columns, predicted class ``argmax_c (x W + b)_c``. It has a closed form (no iterations, no
  tuning of a learning rate), so a probe of 1280-d features over 600 items takes milliseconds
  and is deterministic.
* :func:`probe_table`: one probe per (embedding, trait) -> a table of accuracies.
* :func:`knn_scores` / :func:`evaluate_content_knn`: the first content-only recommender,
  ``score(u, v) = mean_{i ∈ H_u} cos(h_v, h_i)`` over the user's training history ``H_u``.

Items that lack a modality (``mask`` False) are left out of probes and, in kNN, neither count
in a history nor get a similarity (their score is 0, the neutral value after centring).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from ..data.splits import TEST, TRAIN, Split, UserItemSets
from ..device import cpu_threads
from ..metrics import RankingResult, evaluate_full_ranking

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["MIN_STD", "ProbeResult", "centered_unit", "evaluate_content_knn", "knn_score_fn", "knn_scores",
           "knn_indices", "linear_probe", "mean_knn_scores", "nearest_neighbours", "neighbour_agreement", "probe_table",
           "ridge_classifier", "user_profiles"]


@dataclasses.dataclass
class ProbeResult:
    """Accuracy of a linear probe per cross-validation fold, and the chance level.

    ``chance`` is the accuracy of always predicting the most frequent class (1/6 for six
    balanced classes); ``n`` the number of items probed, ``n_classes`` the labels seen.
    """

    fold_accuracy: list[float]
    chance: float
    n: int
    n_classes: int

    @property
    def accuracy(self) -> float:
        """Mean accuracy over folds."""
        return float(np.mean(self.fold_accuracy))

    @property
    def std(self) -> float:
        """Standard deviation of the accuracy over folds."""
        return float(np.std(self.fold_accuracy))


def _encode_labels(labels: Sequence[object]) -> tuple[torch.Tensor, list[object]]:
    classes = sorted(set(labels), key=str)
    index = {c: k for k, c in enumerate(classes)}
    return torch.tensor([index[x] for x in labels], dtype=torch.long), classes


#: Features are divided by ``max(std, MIN_STD)``. scikit-learn's ``StandardScaler`` alone would
#: treat a column that is constant up to float noise as constant (scale 1); the probes have
#: always scaled it by ``1e-8`` instead (one MiniLM dimension of the sample has a std of 2e-9),
#: and that changes two text probes of the sample by 0.003-0.005, so the floor is kept.
MIN_STD = 1e-8


def ridge_classifier(x_train: torch.Tensor | np.ndarray, y_train: torch.Tensor | np.ndarray,
                     alpha: float = 1.0) -> Pipeline:
    """Fit the probe's classifier: scikit-learn's ``StandardScaler`` then ``RidgeClassifier``.

    ``x_train``: ``(n, d)`` features; ``y_train``: ``(n,)`` labels. Features are standardised on
    the training rows in float64 (population std, at least :data:`MIN_STD`); ``alpha`` is λ per
    training item (the penalty is ``λ · n · ||W||²``, so the same ``alpha`` means the same thing
    for any ``n``). scikit-learn solves the primal ``(d × d)`` or the dual ``(n × n)`` system,
    whichever is smaller. For ``(m, d)`` features the returned pipeline's ``predict`` gives
    ``(m,)`` labels and ``decision_function`` ``(m, n_classes)`` scores (``(m,)`` for two classes).
    """
    from sklearn.linear_model import RidgeClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(x_train, dtype=np.float64)
    scaler = StandardScaler().fit(x)
    scaler.scale_ = np.maximum(np.sqrt(scaler.var_), MIN_STD)
    ridge = RidgeClassifier(alpha=alpha * len(x)).fit(scaler.transform(x), np.asarray(y_train))
    return Pipeline([("standardise", scaler), ("ridge", ridge)])


def linear_probe(features: torch.Tensor, labels: Sequence[object], mask: torch.Tensor | None = None,
                 folds: int = 5, alpha: float = 1.0, seed: int = 0, threads: int | None = 1) -> ProbeResult:
    """Stratified ``folds``-fold cross-validated accuracy of :func:`ridge_classifier` reading
    ``labels`` (one per row) off ``features`` ``(n, d)``; rows with ``mask`` False are skipped.

    ``threads``: CPU threads torch and the BLAS under scikit-learn may use meanwhile (restored
    afterwards; ``None`` keeps the setting). The systems are a few hundred rows: on a busy shared
    CPU one thread solved them up to 30x faster than two fighting for the cores, and the result
    does not depend on it.
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with cpu_threads(threads), threadpool_limits(threads):
        return _linear_probe(features, labels, mask, folds, alpha, seed)


def _linear_probe(features: torch.Tensor, labels: Sequence[object], mask: torch.Tensor | None,
                  folds: int, alpha: float, seed: int) -> ProbeResult:
    from sklearn.model_selection import StratifiedKFold

    features = features.detach().cpu()
    labels = list(labels)
    if len(labels) != features.shape[0]:
        raise ValueError(f"need one label per row: {len(labels)} labels for {features.shape[0]} rows")
    keep = torch.ones(features.shape[0], dtype=torch.bool) if mask is None else mask.detach().cpu().bool()
    rows = torch.nonzero(keep).flatten()
    x = features[rows].double().numpy()
    y, classes = _encode_labels([labels[int(i)] for i in rows])
    counts = torch.bincount(y, minlength=len(classes))
    if len(classes) < 2 or int(counts.min()) < folds:
        raise ValueError(f"every class needs at least {folds} items for {folds}-fold cross-validation; "
                         f"got counts {dict(zip(map(str, classes), counts.tolist()))}")
    y = y.numpy()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    accuracy = []
    for train, test in splitter.split(np.zeros(len(y)), y):
        pred = ridge_classifier(x[train], y[train], alpha).predict(x[test])
        accuracy.append(float(np.mean(pred == y[test])))
    chance = float(counts.max()) / len(y)
    return ProbeResult(accuracy, chance, int(len(y)), len(classes))


def probe_table(embeddings: Mapping[str, torch.Tensor], traits: pd.DataFrame,
                masks: Mapping[str, torch.Tensor] | None = None, folds: int = 5, alpha: float = 1.0,
                seed: int = 0, with_std: bool = False) -> pd.DataFrame:
    """Probe accuracy of every embedding (rows) for every trait column of ``traits`` (columns).

    ``embeddings[name]``: ``(n, d)``; ``traits``: ``n`` rows in the same item order;
    ``masks[name]``: ``(n,)`` bool (missing -> all rows). With ``with_std`` every trait gets a
    second column ``<trait> ±`` (std over folds). A last column ``items`` gives the rows probed.
    """
    rows = {}
    for name, feats in embeddings.items():
        row: dict[str, float | int] = {}
        result = None
        for trait in traits.columns:
            result = linear_probe(feats, traits[trait].tolist(), (masks or {}).get(name), folds, alpha, seed)
            row[trait] = result.accuracy
            if with_std:
                row[f"{trait} ±"] = result.std
        row["items"] = result.n if result is not None else 0
        rows[name] = row
    return pd.DataFrame(rows).T.astype({"items": int})


def centered_unit(features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Centre on the mean of the present rows, then L2-normalise: ``(n, d) -> (n, d)``; rows with
    ``mask`` False become 0.

    Centring matters for cosine similarity: pooled CNN features are all non-negative, so
    without it every pair of items looks alike (cosines near 1) and the shared mean direction
    drowns what differs between items. A row equal to the mean (such as a mean-filled missing
    row) has no direction: it becomes 0 too, instead of rounding noise blown up to unit length.
    """
    features = features.float()
    keep = torch.ones(features.shape[0], dtype=torch.bool, device=features.device) if mask is None \
        else mask.to(features.device).bool()
    if not bool(keep.any()):
        return torch.zeros_like(features)
    centred = features - features[keep].mean(0)
    norms = centred.norm(dim=1)
    keep = keep & (norms > 1e-5 * norms[keep].median().clamp(min=1e-30))
    unit = centred / norms.clamp(min=1e-30)[:, None]
    return unit * keep[:, None]


def user_profiles(unit: torch.Tensor, history: UserItemSets, users: torch.Tensor,
                  mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean unit vector of each user's history: ``(b, d)`` for ``users`` ``(b,)``.

    ``p_u = (1 / |H_u ∩ present|) Σ_{i ∈ H_u, i present} ĥ_i``; zero for a user with no present
    history item. ``unit`` ``(n_items, d)`` is from :func:`centered_unit`.
    """
    dense = history.dense(users.cpu(), unit.device).to(unit.dtype)  # (b, n_items)
    if mask is not None:
        dense = dense * mask.to(unit.device).to(unit.dtype)[None, :]
    return (dense @ unit) / dense.sum(1, keepdim=True).clamp(min=1.0)


def knn_scores(unit: torch.Tensor, history: UserItemSets, users: torch.Tensor,
               mask: torch.Tensor | None = None) -> torch.Tensor:
    """Content-kNN scores ``(b, n_items)``: ``score(u, v) = mean_{i ∈ H_u} cos(h_v, h_i)``.

    Because the mean of dot products is the dot product with the mean, this is ``p_u · ĥ_v``
    with ``p_u`` from :func:`user_profiles`: one ``(b, d) @ (d, n_items)`` product instead of
    a loop over histories.
    """
    return user_profiles(unit, history, users, mask) @ unit.T


def knn_score_fn(features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor] | None,
                 history: UserItemSets, device: torch.device | str = "cpu"):
    """A ``score_fn(users (b,)) -> (b, n_items)`` for :func:`~mmrec_tutorial.metrics.evaluate_full_ranking`.

    With several modalities the score is the mean of the per-modality kNN scores (each item
    missing a modality contributes 0 for it): ``(1/M) Σ_m mean_{i ∈ H_u} cos(h^m_v, h^m_i)``.
    """
    device = torch.device(device)
    units = {m: centered_unit(f.to(device), None if masks is None else masks.get(m)) for m, f in features.items()}
    mask_of = {m: None if masks is None or masks.get(m) is None else masks[m].to(device) for m in features}

    return lambda users: mean_knn_scores(units, mask_of, history, users)


def mean_knn_scores(units: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor | None],
                    history: UserItemSets, users: torch.Tensor) -> torch.Tensor:
    """The mean over modalities of :func:`knn_scores`: ``(b, n_items)`` for ``users`` ``(b,)``;
    ``units[m]`` from :func:`centered_unit`, ``masks[m]`` ``(n_items,)`` or ``None``."""
    return torch.stack([knn_scores(units[m], history, users, masks[m]) for m in units]).mean(0)


def evaluate_content_knn(features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor] | None,
                         split: Split, rows: Mapping[str, Sequence[str]], ks: Sequence[int] = (10, 20),
                         part: int = TEST, device: torch.device | str = "cpu") -> dict[str, RankingResult]:
    """Content-kNN from the training history, evaluated by full ranking on ``part``.

    ``rows`` names each recommender and the modalities it uses, e.g.
    ``{"text": ["text"], "all (mean of cosines)": ["text", "image", "audio"]}``. Training items are
    masked, as the protocol says (:data:`~mmrec_tutorial.metrics.PROTOCOL`).
    """
    history = split.sets(TRAIN)
    target = split.sets(part)
    out = {}
    for name, modalities in rows.items():
        fn = knn_score_fn({m: features[m] for m in modalities},
                          None if masks is None else {m: masks[m] for m in modalities if m in masks}, history, device)
        out[name] = evaluate_full_ranking(fn, target, history, ks, device=device)
    return out


def nearest_neighbours(features: torch.Tensor, query: int, k: int = 5, mask: torch.Tensor | None = None) -> list[int]:
    """The ``k`` items most cosine-similar to item ``query`` (centred features; itself and items
    without the modality excluded), most similar first."""
    unit = centered_unit(features, mask)
    sims = unit @ unit[query]
    sims[query] = float("-inf")
    if mask is not None:
        sims[~mask.to(sims.device).bool()] = float("-inf")
    return torch.topk(sims, min(k, int(torch.isfinite(sims).sum()))).indices.tolist()


def knn_indices(features: torch.Tensor, k: int, mask: torch.Tensor | None = None,
                batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Every item's ``k`` cosine-nearest other items (centred features, :func:`centered_unit`),
    most similar first: ``items`` ``(r,)`` and ``neighbours`` ``(r, k)`` for the ``r`` items that
    have the modality (``mask``, and a non-zero centred row); the others are nobody's neighbour.

    Similarities are computed ``batch_size`` rows at a time, so the ``(n, n)`` matrix never exists:
    peak memory ``batch_size * n`` floats, time :math:`O(n^2 d)`. ``k`` is capped at ``r - 1``.
    """
    keep = torch.ones(features.shape[0], dtype=torch.bool) if mask is None else mask.detach().cpu().bool()
    unit = centered_unit(features.detach().cpu(), keep)
    keep = keep & (unit.abs().sum(1) > 0)
    items = torch.nonzero(keep).flatten()
    k = min(k, len(items) - 1)
    if k <= 0:
        return items[:0], torch.zeros(0, max(k, 0), dtype=torch.long)
    neighbours = []
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        sims = unit[batch] @ unit.T  # (b, n)
        sims[:, ~keep] = float("-inf")
        sims[torch.arange(len(batch)), batch] = float("-inf")
        neighbours.append(sims.topk(k, dim=1).indices)
    return items, torch.cat(neighbours)


def neighbour_agreement(features: torch.Tensor, labels: Sequence[object], k: int = 10,
                        mask: torch.Tensor | None = None) -> float:
    """Share of each item's ``k`` cosine-nearest neighbours (centred features, :func:`knn_indices`)
    that have the same label, averaged over items with the modality; items without it are never
    neighbours.

    A linear probe asks "is the trait *somewhere* in the vector?"; this asks "do *similar*
    vectors share the trait?", which is what a similarity-based recommender relies on.
    """
    keep = torch.ones(features.shape[0], dtype=torch.bool) if mask is None else mask.detach().cpu().bool()
    n_present = int(keep.sum())
    if n_present <= k:
        raise ValueError(f"need more than k={k} items with the modality, got {n_present}")
    y, _ = _encode_labels(list(labels))
    items, top = knn_indices(features, k, keep)
    return float((y[top] == y[items, None]).double().mean())
