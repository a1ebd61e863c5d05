"""Content-kNN: recommend what looks like what the user already chose. Nothing to train.

:math:`s_u^v = \\frac{1}{M}\\sum_m \\operatorname{mean}_{i \\in H_u} \\cos(\\hat h^m_v, \\hat h^m_i)`: per
modality the mean cosine between the candidate and the items of the user's training history
(centred unit vectors, :func:`~mmrec_tutorial.encoders.probes.centered_unit`), averaged over the
modalities. It is the purest test of what an embedding knows about taste, and it ranks cold items
as well as warm ones (only their content counts).
"""

from __future__ import annotations

import torch

from ..data.modalities import ItemFeatures
from ..data.splits import TRAIN, Split
from ..encoders.probes import centered_unit, mean_knn_scores
from .base import Recommender


class ContentKNN(Recommender):
    """See the module docstring. ``prepare(split)`` stores the training histories."""

    trainable = False

    def __init__(self, n_users: int, n_items: int, content: ItemFeatures) -> None:
        super().__init__(n_users, n_items)
        if content.n_items != n_items:
            raise ValueError(f"content has {content.n_items} items, the model n_items={n_items}")
        self.modalities = content.modalities
        for m in self.modalities:
            self.register_buffer(f"unit_{m}", centered_unit(content.features[m], content.masks[m]), persistent=False)
            self.register_buffer(f"mask_{m}", content.masks[m].clone(), persistent=False)
        self.history = None

    def prepare(self, split: Split) -> None:
        """Keep the training histories (the ``H_u`` of the formula)."""
        self.history = split.sets(TRAIN)

    def item_mask(self) -> torch.Tensor:
        """``(n_items, M)`` bool: which items have which modality."""
        return torch.stack([getattr(self, f"mask_{m}") for m in self.modalities], dim=1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``: the mean over modalities of the per-modality kNN scores."""
        if self.history is None:
            raise RuntimeError("ContentKNN needs prepare(split) (train.fit calls it) before scoring")
        return mean_knn_scores({m: getattr(self, f"unit_{m}") for m in self.modalities},
                               {m: getattr(self, f"mask_{m}") for m in self.modalities}, self.history, users)
