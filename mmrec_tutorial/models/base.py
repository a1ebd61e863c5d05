"""The interface every ranker implements, so one training loop and one evaluation serve them all.

Also the small pieces several rankers share: the L2 penalty of the embedding rows a batch
touches (:func:`squared_norms`) and the matrix of users' most recent items (:func:`history_matrix`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import torch
from torch import nn

from ..data.datasets import UserSequences
from .losses import bpr_loss

if TYPE_CHECKING:
    from ..data.splits import Split


def squared_norms(*lookups: tuple[nn.Embedding, torch.Tensor]) -> torch.Tensor:
    """Sum of the squared norms of embedding rows: ``(embedding, ids (b,))`` pairs -> ``(b,)``.

    ``squared_norms((user_emb, users), (item_emb, pos))`` is
    ``user_emb(users).pow(2).sum(-1) + item_emb(pos).pow(2).sum(-1)``, evaluated in exactly that
    order (look up, square, sum, add; pair by pair), so results are bit-identical to the written-out sum.
    """
    if not lookups:
        raise ValueError("squared_norms needs at least one (embedding, ids) pair")
    total: torch.Tensor | None = None
    for embedding, ids in lookups:
        term = embedding(ids).pow(2).sum(-1)
        total = term if total is None else total + term
    return total


def history_matrix(interactions: pd.DataFrame, n_users: int, max_len: int) -> torch.Tensor:
    """Every user's last ``max_len`` items of ``interactions`` (by timestamp), as tokens
    ``item_idx + 1``, left-padded with 0: ``(n_users, max_len)`` long."""
    return UserSequences(interactions, n_users, max_len).history_matrix(torch.arange(n_users))


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

    def prepare(self, split: Split) -> None:
        """Called by ``train.fit`` before training with the ``Split`` (e.g. to count popularity
        or to store histories). Default: nothing."""

    def start_epoch(self) -> None:
        """Called by ``train.fit`` at the start of every training epoch, in training mode (e.g. to
        draw a new pruned graph). Default: nothing."""

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """Scores of every item for each user: ``(b,) -> (b, n_items)``."""
        raise NotImplementedError

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Scores of given user-item pairs: ``(b,), (b,) -> (b,)``."""
        return self.full_scores(users).gather(1, items[:, None]).squeeze(1)

    def regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """L2 penalty of the parameters used for this batch of ``(b,)`` users, positives and
        negatives: a scalar (0 by default)."""
        return torch.zeros((), device=users.device)

    def with_regularizer(self, loss: torch.Tensor, reg: float, users: torch.Tensor, pos: torch.Tensor,
                         neg: torch.Tensor) -> torch.Tensor:
        """``loss + reg * regularizer(users, pos, neg)`` (just ``loss`` when ``reg`` is 0): a scalar."""
        return loss + reg * self.regularizer(users, pos, neg) if reg else loss

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """BPR loss of a batch of ``(b,)`` users, positives and negatives (a scalar)."""
        s_pos = self.score(users, pos)
        s_neg = self.score(users, neg)
        return self.with_regularizer(bpr_loss(s_pos, s_neg), reg, users, pos, neg)
