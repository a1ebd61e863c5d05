"""Ranking metrics by full ranking over all items, vectorised in torch, batched over users.

Protocol (MMRec's, DESIGN.md §3): for every user with at least one test item, score *all*
items, set the items to exclude (the user's training items) to -inf, rank, and compare the
top K with the user's test items. Ties are broken by item index (lower first), so results are
deterministic. Per user, with T the test items and hits_K = |top-K ∩ T|:

- Recall@K = hits_K / |T|
- Precision@K = hits_K / K
- HitRate@K = 1 if hits_K > 0
- NDCG@K = DCG / IDCG, DCG = Σ_{r ≤ K, item_r ∈ T} 1 / log2(r + 1), IDCG the same for a perfect list of min(|T|, K) hits
- MRR = 1 / rank of the first test item in the full ranking
- AUC = P(score of a test item > score of a non-test candidate), ties counted one half

and catalog coverage@K = fraction of all items that appear in some user's top K. Means are
over users with test items.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import pandas as pd
import torch

from .data.splits import UserItemSets

ScoreFn = Callable[[torch.Tensor], torch.Tensor]
PROTOCOL = ("full ranking over all items, the user's training items masked; per-user means over "
            "users with test items; binary relevance")


@dataclasses.dataclass
class RankingResult:
    """Per-user metrics (``per_user[name]`` is ``(n_eval_users,)``) and their means."""

    users: torch.Tensor
    per_user: dict[str, torch.Tensor]
    coverage: dict[int, float]
    ks: tuple[int, ...]

    def mean(self) -> dict[str, float]:
        out = {name: float(values.mean()) if len(values) else float("nan") for name, values in self.per_user.items()}
        out.update({f"coverage@{k}": v for k, v in self.coverage.items()})
        return out

    def bootstrap_ci(self, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict[str, tuple[float, float]]:
        """Percentile bootstrap interval over users for every per-user metric."""
        gen = torch.Generator().manual_seed(seed)
        n = len(self.users)
        idx = torch.randint(0, n, (n_boot, n), generator=gen)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        out = {}
        for name, values in self.per_user.items():
            means = values.double()[idx].mean(dim=1)
            out[name] = (float(torch.quantile(means, lo)), float(torch.quantile(means, hi)))
        return out

    def paired_difference(self, reference: "RankingResult", metric: str, n_boot: int = 1000, level: float = 0.95,
                          seed: int = 0) -> dict[str, float]:
        """Mean per-user difference ``self - reference`` in ``metric`` with a paired percentile
        bootstrap interval over users: ``{"mean", "lo", "hi"}``.

        Both results must cover the same users (the same split): pairing removes the variation
        between users, so the interval is much narrower than two separate intervals suggest.
        """
        if not torch.equal(self.users, reference.users):
            raise ValueError("paired_difference needs two results on the same users (the same split and part)")
        diff = (self.per_user[metric] - reference.per_user[metric]).double()
        gen = torch.Generator().manual_seed(seed)
        means = diff[torch.randint(0, len(diff), (n_boot, len(diff)), generator=gen)].mean(1)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return {"mean": float(diff.mean()), "lo": float(means.quantile(lo)), "hi": float(means.quantile(hi))}

    def table(self) -> pd.Series:
        return pd.Series(self.mean())


def describe_difference(difference: dict[str, float], digits: int = 4) -> str:
    """A paired difference (:meth:`RankingResult.paired_difference`) in words: ``"+0.0150 [+0.0040,
    +0.0270], higher"``; ``"lower"``, or ``"no reliable difference"`` when the interval contains 0."""
    mean, lo, hi = difference["mean"], difference["lo"], difference["hi"]
    word = "no reliable difference" if lo <= 0 <= hi else "higher" if mean > 0 else "lower"
    return f"{mean:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}], {word}"


def _rank_order(scores: torch.Tensor) -> torch.Tensor:
    """Item indices ``(b, n)`` best first, ties by lower index."""
    return torch.sort(scores, dim=1, descending=True, stable=True).indices


def _top_k_order(scores: torch.Tensor, k: int) -> torch.Tensor:
    """The first ``k`` columns of :func:`_rank_order` ``(b, k)``, without sorting every item: the
    items above the k-th best score, then those tied with it by lower index, then ordered."""
    kth = torch.topk(scores, k, dim=1).values[:, -1:]  # (b, 1)
    above = scores > kth
    tied = scores == kth
    if bool((tied.sum(dim=1, dtype=torch.int32) == 1).all()):  # the usual case: no tie at the k-th score, nothing to break
        chosen = above | tied
    else:
        room = k - above.sum(dim=1, keepdim=True)
        chosen = above | (tied & (torch.cumsum(tied, dim=1) <= room))  # exactly k per row
    items = torch.nonzero(chosen)[:, 1].view(len(scores), k)  # ascending index within each row
    order = torch.sort(torch.gather(scores, 1, items), dim=1, descending=True, stable=True).indices
    return torch.gather(items, 1, order)


def _positions(order: torch.Tensor) -> torch.Tensor:
    """Each item's 0-based position ``(b, n)`` in ``order`` ``(b, n)``."""
    positions = torch.empty_like(order)
    positions.scatter_(1, order, torch.arange(order.shape[1], device=order.device).expand_as(order))
    return positions


def top_list_metrics(top_hits: torch.Tensor, n_rel: torch.Tensor, k: int) -> dict[str, torch.Tensor]:
    """Recall@k, Precision@k, HitRate@k and NDCG@k ``(b,)`` of ranked top lists.

    ``top_hits`` ``(b, k')`` float: 1 where the list's r-th item is relevant (``k' = min(k, n_items)``);
    ``n_rel`` ``(b,)``: each user's number of relevant items. The definitions of the module
    docstring, shared by the full ranking below and the widgets' fast top-k path.
    """
    kk = top_hits.shape[1]
    discounts = 1.0 / torch.log2(torch.arange(2, kk + 2, device=top_hits.device, dtype=torch.float32))
    n_rel = n_rel.float()
    hits = top_hits.sum(dim=1)
    ideal = torch.cumsum(discounts, 0)[(n_rel.clamp(min=1, max=kk) - 1).long()]
    return {f"recall@{k}": hits / n_rel.clamp(min=1), f"precision@{k}": hits / k, f"hit@{k}": (hits > 0).float(),
            f"ndcg@{k}": (top_hits * discounts).sum(dim=1) / ideal}


def evaluate_scores(scores: torch.Tensor, relevant: torch.Tensor, exclude: torch.Tensor,
                    ks: Sequence[int] = (10, 20),
                    top_only: bool = False) -> tuple[dict[str, torch.Tensor], dict[int, torch.Tensor]]:
    """Metrics for one batch of users.

    ``scores`` ``(b, n_items)`` float; ``relevant`` and ``exclude`` ``(b, n_items)`` bool (an item
    must not be both). Returns per-user metrics ``{name: (b,)}`` and, per K, the ``(b, K')``
    top-K item indices (K' = min(K, n_items)). ``top_only`` skips MRR and AUC, which need every
    item's rank (what early stopping needs is the top K: several times faster).
    """
    if torch.isnan(scores).any():
        raise ValueError("scores contain NaN; check the model (diverged training?)")
    if (relevant & exclude).any():
        raise ValueError("an item is both relevant and excluded; test and training items overlap")
    b, n_items = scores.shape
    scores = scores.float().masked_fill(exclude, float("-inf"))
    order = _top_k_order(scores, min(max(ks), n_items)) if top_only else _rank_order(scores)
    n_rel = relevant.sum(dim=1, dtype=torch.int32).float()
    hits_sorted = torch.gather(relevant, 1, order).float()
    out: dict[str, torch.Tensor] = {}
    top: dict[int, torch.Tensor] = {}
    for k in ks:
        kk = min(k, n_items)
        out.update(top_list_metrics(hits_sorted[:, :kk], n_rel, k))
        top[k] = order[:, :kk]
    if not top_only:
        out.update(_rank_metrics(scores, order, relevant, exclude, n_rel))
    return out, top


def _rank_metrics(scores: torch.Tensor, order: torch.Tensor, relevant: torch.Tensor, exclude: torch.Tensor,
                  n_rel: torch.Tensor) -> dict[str, torch.Tensor]:
    """MRR and AUC ``(b,)`` from the masked ``scores`` ``(b, n)`` and their ``order``."""
    n_items = scores.shape[1]
    out: dict[str, torch.Tensor] = {}
    first = _positions(order).masked_fill(~relevant, n_items).min(dim=1).values
    out["mrr"] = 1.0 / (first.float() + 1)
    # AUC via Mann-Whitney over candidates (non-excluded items); excluded items sit at -inf.
    sorted_scores = torch.gather(scores, 1, order).flip(1).contiguous()  # ascending
    less = torch.searchsorted(sorted_scores, scores.contiguous(), side="left").float()
    equal = torch.searchsorted(sorted_scores, scores.contiguous(), side="right").float() - less
    n_excl = exclude.sum(dim=1, keepdim=True).float()
    below = (less - n_excl + 0.5 * (equal - 1)).masked_fill(~relevant, 0).sum(dim=1)
    n_neg = (n_items - n_excl.squeeze(1) - n_rel)
    auc = (below - n_rel * (n_rel - 1) / 2) / (n_rel * n_neg).clamp(min=1)
    out["auc"] = auc
    return out


def evaluate_full_ranking(score_fn: ScoreFn, test: UserItemSets, exclude: UserItemSets | None,
                          ks: Sequence[int] = (10, 20), batch_size: int | None = None,
                          device: torch.device | str = "cpu", users: torch.Tensor | None = None,
                          top_only: bool = False) -> RankingResult:
    """Rank all items for every user with test items and compute the metrics.

    ``score_fn(users)`` takes a ``(b,)`` long tensor of user indices (on ``device``) and returns
    ``(b, n_items)`` scores. ``exclude`` (normally the training sets) is masked out. Memory is
    bounded by ``batch_size * n_items`` (default: about 16M scores per batch). ``top_only``: the
    top-K metrics only, no MRR or AUC (see :func:`evaluate_scores`).
    """
    device = torch.device(device)
    eval_users = test.users_with_items() if users is None else users[test.counts()[users] > 0]
    batch_size = batch_size or max(1, min(4096, (1 << 24) // max(1, test.n_items)))
    parts: dict[str, list[torch.Tensor]] = {}
    seen = {k: torch.zeros(test.n_items, dtype=torch.bool, device=device) for k in ks}
    with torch.no_grad():
        for start in range(0, len(eval_users), batch_size):
            batch = eval_users[start:start + batch_size]
            scores = score_fn(batch.to(device))
            if scores.shape != (len(batch), test.n_items):
                raise ValueError(f"score_fn returned shape {tuple(scores.shape)}, expected {(len(batch), test.n_items)}")
            relevant = test.dense(batch, device)
            excl = exclude.dense(batch, device) if exclude is not None else torch.zeros_like(relevant)
            metrics, top = evaluate_scores(scores, relevant, excl, ks, top_only)
            for name, values in metrics.items():
                parts.setdefault(name, []).append(values.cpu())
            for k in ks:
                seen[k][top[k].flatten()] = True
    per_user = {name: torch.cat(values) for name, values in parts.items()}
    coverage = {k: float(seen[k].float().mean()) for k in ks}
    return RankingResult(users=eval_users, per_user=per_user, coverage=coverage, ks=tuple(ks))


def metrics_frame(results: dict[str, RankingResult], metrics: Sequence[str] = ("recall@20", "ndcg@20")) -> pd.DataFrame:
    """One row per model name, one column per metric (means)."""
    return pd.DataFrame({name: {m: r.mean()[m] for m in metrics} for name, r in results.items()}).T

