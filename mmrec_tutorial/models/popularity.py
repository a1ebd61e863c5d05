"""The popularity baseline: recommend what most users interacted with in training."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from .base import Recommender

if TYPE_CHECKING:
    from ..data.splits import Split


class Popularity(Recommender):
    """:math:`s_u^i = \\#\\{\\text{training interactions of } i\\}`, the same list for every user.

    Not trained by gradient: ``prepare(split)`` counts. Items without training interactions
    (cold items) score 0 and sink to the bottom.
    """

    trainable = False

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__(n_users, n_items)
        self.register_buffer("counts", torch.zeros(n_items))

    def prepare(self, split: Split) -> None:
        """Count every item's training interactions into ``counts`` ``(n_items,)``."""
        counts = np.bincount(split.train["item_idx"].to_numpy(), minlength=self.n_items)
        self.counts.copy_(torch.from_numpy(counts).float())

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``: the counts, repeated."""
        return self.counts[None, :].expand(len(users), -1)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(b,), (b,) -> (b,)``: the items' counts (the same for every user)."""
        return self.counts[items]
