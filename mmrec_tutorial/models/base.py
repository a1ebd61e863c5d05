"""The interface every ranker implements, so one training loop and one evaluation serve them all."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Recommender(nn.Module):
    """Base class of the course's rankers.

    A subclass implements ``full_scores(users) -> (b, n_items)``; the default ``score`` picks
    from it, and subclasses with a cheaper pairwise path override ``score``. ``loss`` defaults
    to BPR, :math:`-\\log \\sigma(s_u^{i^+} - s_u^{i^-})`, plus ``reg`` times the squared norm of
    the embeddings the batch touched (``regularizer``). Models trained another way (e.g.
    popularity counts) set ``trainable = False``; sequence models set ``needs_sequences``.
    """

    trainable: bool = True
    needs_sequences: bool = False

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__()
        self.n_users, self.n_items = n_users, n_items

    def prepare(self, split) -> None:
        """Called by ``train.fit`` before training with the ``Split`` (e.g. to count popularity
        or to store histories). Default: nothing."""

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """Scores of every item for each user: ``(b,) -> (b, n_items)``."""
        raise NotImplementedError

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Scores of given user-item pairs: ``(b,), (b,) -> (b,)``."""
        return self.full_scores(users).gather(1, items[:, None]).squeeze(1)

    def regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """L2 penalty of the parameters used for this batch (0 by default)."""
        return torch.zeros((), device=users.device)

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """BPR loss of a batch of ``(b,)`` users, positives and negatives (a scalar)."""
        diff = self.score(users, pos) - self.score(users, neg)
        loss = F.softplus(-diff).mean()  # = -log sigmoid(diff), numerically stable
        if reg:
            loss = loss + reg * self.regularizer(users, pos, neg)
        return loss
