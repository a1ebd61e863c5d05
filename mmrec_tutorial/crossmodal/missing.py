"""Missing modalities, filled through the shared space: an item without a cover borrows its
aligned text (and audio) vector.

After contrastive alignment, :math:`P_{img}(h^{img}_v) \\approx P_{text}(h^{text}_v)` for the same
item, so the projected text is a stand-in for the missing projected image. Without alignment
the two heads map to unrelated directions and the stand-in is noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..data.splits import Split, UserItemSets
from ..metrics import RankingResult, evaluate_full_ranking

__all__ = ["borrow_missing", "borrow_by_retrieval", "evaluate_on_items"]


def borrow_missing(tokens: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
                   targets: tuple[str, ...] | None = None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Fill each missing modality token with the mean of the item's present tokens (other modalities).

    ``tokens[m]``: ``(n, d)`` shared-space vectors, ``masks[m]``: ``(n,)`` bool. ``targets``: the
    modalities to fill (default: all). Returns new tokens and masks; a filled entry becomes
    present. Items with no other modality present stay missing.
    """
    names = list(tokens)
    targets = tuple(names) if targets is None else targets
    out_t = {m: t.clone() for m, t in tokens.items()}
    out_m = {m: k.clone().to(torch.bool) for m, k in masks.items()}
    for m in targets:
        others = [o for o in names if o != m]
        if not others:
            continue
        stacked = torch.stack([tokens[o] for o in others], dim=1)  # (n, M-1, d)
        present = torch.stack([masks[o].to(torch.bool) for o in others], dim=1)  # (n, M-1)
        count = present.sum(1)
        fill = (stacked * present[..., None]).sum(1) / count.clamp(min=1)[:, None]
        todo = ~masks[m].to(torch.bool) & (count > 0)
        out_t[m] = torch.where(todo[:, None], fill, out_t[m])
        out_m[m] = out_m[m] | todo
    return out_t, out_m


def borrow_by_retrieval(query: torch.Tensor, gallery: torch.Tensor, targets: torch.Tensor, available: torch.Tensor,
                        k: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Stand-in features for items whose modality ``b`` is missing, found through the aligned space.

    ``query`` ``(q, d)``: the aligned vectors of another modality (e.g. text) of the ``q`` items
    that need a stand-in; ``gallery`` ``(n, d)``: the aligned ``b`` vectors of all items;
    ``available`` ``(n,)`` bool: which gallery items may be borrowed from (they have ``b``, and the
    item itself is not among them); ``targets`` ``(n, d_b)``: the features to average. Returns the
    stand-ins ``(q, d_b)`` (mean of the ``k`` most similar available items' features) and the
    borrowed item indices ``(q, k)``.
    """
    pool = torch.nonzero(available).flatten()
    sims = F.normalize(query.float(), dim=1) @ F.normalize(gallery[pool].float(), dim=1).T  # (q, |pool|)
    top = pool[sims.topk(min(k, len(pool)), dim=1).indices]
    return targets[top].mean(1), top


def evaluate_on_items(score_fn: Callable[[torch.Tensor], torch.Tensor], split: Split, items: np.ndarray | Sequence[int],
                      ks: Sequence[int] = (10, 20), device: torch.device | str = "cpu") -> RankingResult:
    """Full-ranking test metrics restricted to the test interactions with ``items``.

    Each user's relevant set is their test items among ``items``; their training items *and*
    their other test items are masked (so hits on other items neither help nor hurt), and every
    remaining item of the catalog competes, as in the main protocol.
    """
    test = split.test
    inside = test["item_idx"].isin(np.asarray(items))
    relevant = UserItemSets.from_frame(test[inside], split.n_users, split.n_items)
    exclude = UserItemSets.from_frame(pd.concat([split.train, test[~inside]]), split.n_users, split.n_items)
    return evaluate_full_ranking(score_fn, relevant, exclude, ks=ks, device=device)
