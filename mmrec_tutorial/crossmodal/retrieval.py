"""Cross-modal retrieval: does an item's text find its own image (or one of the same kind)?

For ``n`` held-out items, query ``i`` is item ``i`` seen through one modality (e.g. its text)
and the gallery is all ``n`` items seen through another (their images), ranked by cosine
similarity. Two questions, two metrics:

- exact item, Recall@K: is item ``i``'s own image among the top K? (chance: K / n)
- same trait, Precision@K: what share of the top K images have the *style* of item ``i``? (chance:
  the share of gallery items with that style, averaged over queries). When two modalities share
  only part of their information, exact-item retrieval is capped by construction and the trait
  is the fair test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from ..data.splits import UserItemSets
from ..metrics import evaluate_full_ranking
from .contrastive import similarity_matrix

__all__ = ["retrieval_metrics", "retrieval_table", "least_squares_map", "least_squares_baseline"]


def _ranks_of_diagonal(sim: torch.Tensor) -> torch.Tensor:
    """0-based rank of ``sim[i, i]`` in row ``i``, ties counted against the match: ``(n,)``.

    Retrieval's own rule, unlike the recommenders' (ties by lower index): a collapsed space in
    which every item looks alike must score zero, not find item 0 first."""
    diag = sim.diagonal()[:, None]
    return (sim > diag).sum(1) + ((sim == diag).sum(1) - 1)


def retrieval_metrics(queries: torch.Tensor, gallery: torch.Tensor, ks: Sequence[int] = (1, 10),
                      labels: np.ndarray | Sequence | None = None) -> dict[str, float]:
    """Retrieval of row ``i`` of ``gallery`` ``(n, d')`` by row ``i`` of ``queries`` ``(n, d')``.

    Returns ``R@K`` (exact item), ``chance R@K`` (= K / n), ``MRR``, and with ``labels`` ``(n,)``
    (a trait of each gallery item) ``trait P@K`` and ``chance trait P@K``. The exact-item
    metrics rank with ties against the match (:func:`_ranks_of_diagonal`); the trait metrics are
    the recommenders' full ranking (``metrics.evaluate_full_ranking``, ties by lower index), each
    query a "user" whose relevant items are the gallery rows of its trait.
    """
    n = queries.shape[0]
    if gallery.shape[0] != n:
        raise ValueError(f"queries and gallery must have the same rows, got {n} and {gallery.shape[0]}")
    sim = similarity_matrix(queries.float(), gallery.float())  # (n, n)
    ranks = _ranks_of_diagonal(sim)
    out: dict[str, float] = {}
    for k in ks:
        out[f"R@{k}"] = float((ranks < k).float().mean())
        out[f"chance R@{k}"] = min(1.0, k / n)
    out["MRR"] = float((1.0 / (ranks.float() + 1)).mean())
    if labels is not None:
        codes = torch.as_tensor(pd.factorize(np.asarray(labels))[0])
        same = codes[:, None] == codes[None, :]  # (n, n)
        query, item = np.nonzero(same.numpy())
        trait = evaluate_full_ranking(lambda q: sim[q.cpu()], UserItemSets(query, item, n, n), None, ks=ks).mean()
        for k in ks:
            out[f"trait P@{k}"] = trait[f"precision@{k}"]
            out[f"chance trait P@{k}"] = float(same.float().mean())
    return out


def least_squares_map(x: torch.Tensor, y: torch.Tensor, ridge: float = 1.0) -> torch.Tensor:
    """Ridge regression from ``x`` ``(n, d_x)`` to ``y`` ``(n, d_y)``: ``W`` ``(d_x, d_y)`` minimising
    :math:`\\|XW - Y\\|^2 + \\lambda\\|W\\|^2`. A simple linear "alignment" baseline (inputs should be
    standardised; fit on training items only)."""
    x, y = x.double(), y.double()
    gram = x.T @ x + ridge * torch.eye(x.shape[1], dtype=torch.float64)
    return torch.linalg.solve(gram, x.T @ y).float()


def least_squares_baseline(features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
                           train_items: torch.Tensor, pairs: Sequence[tuple[str, str]],
                           ridge: float = 100.0) -> dict[str, torch.Tensor]:
    """The linear baseline for :func:`retrieval_table`: standardise each modality with statistics of
    ``train_items``, fit a ridge map ``a -> b`` on the training items that have both, and return
    ``{"a->b": mapped queries (n_items, d_b), b: standardised b (n_items, d_b)}`` for every pair."""
    std = {}
    for m, f in features.items():
        rows = f[train_items][masks[m][train_items]].float()
        std[m] = (f.float() - rows.mean(0)) / rows.std(0, unbiased=False).clamp(min=1e-6)
    out: dict[str, torch.Tensor] = {}
    for a, b in pairs:
        keep = train_items[masks[a][train_items] & masks[b][train_items]]
        out[f"{a}->{b}"] = std[a] @ least_squares_map(std[a][keep], std[b][keep], ridge)
        out[b] = std[b]
    return out


def retrieval_table(methods: Mapping[str, Mapping[str, torch.Tensor]], masks: Mapping[str, torch.Tensor],
                    items: torch.Tensor, pairs: Sequence[tuple[str, str]], traits: Mapping[str, np.ndarray] | None = None,
                    ks: Sequence[int] = (1, 10)) -> pd.DataFrame:
    """One row per (pair, method): retrieval of ``b`` by ``a`` over ``items`` that have both.

    ``methods[name][m]``: ``(n_items, d)`` vectors of modality ``m`` in a space where ``a`` and
    ``b`` are comparable; a method may instead give the queries already mapped into ``b``'s
    space under the key ``"a->b"`` (e.g. a least-squares map, with ``b``'s own vectors under ``b``). ``traits[m]``: ``(n_items,)``
    labels of the trait modality ``m`` reveals (the gallery's trait is used). ``masks[m]``:
    ``(n_items,)`` bool.
    """
    rows = []
    for a, b in pairs:
        keep = items[(masks[a][items] & masks[b][items])]
        labels = None if traits is None or b not in traits else np.asarray(traits[b])[keep.numpy()]
        for name, vecs in methods.items():
            query = vecs.get(f"{a}->{b}", vecs.get(a))
            gallery = vecs.get(b)
            if query is None or gallery is None:
                continue
            row = {"pair": f"{a} → {b}", "method": name, "items": len(keep)}
            row.update(retrieval_metrics(query[keep], gallery[keep], ks, labels))
            rows.append(row)
    return pd.DataFrame(rows)
