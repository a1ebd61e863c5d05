"""Rankers that score by an inner product of a user vector and an item vector, and BPR-MF.

:math:`s_u^i = \\langle \\mathbf{p}_u, \\mathbf{q}_i \\rangle + b_i`. A subclass says how to build
``p_u`` (``user_vectors``) and ``q_i`` (``item_vectors``), and optionally the item bias ``b_i``;
this class turns them into full-catalog scores, pairwise scores, and the BPR or sampled-softmax
loss (``loss="bpr"`` / ``"softmax"``).

Negatives come only from the items that exist at training time, i.e. that have a training
interaction (``seen``, set by ``prepare``): an item held out as cold is a *new* item, which a
real system could not have sampled as a negative. Without this, a content model learns to push
exactly those items down (it can recognise them by their content) and the cold-start test is void.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .base import Recommender, squared_norms
from .fused_bpr import bpr_mf_loss
from .losses import bpr_loss, check_loss, sampled_softmax_loss

if TYPE_CHECKING:
    from ..data.splits import Split


class FactorModel(Recommender):
    """Inner-product ranker; see the module docstring. ``temperature`` is the softmax's τ.

    The default :meth:`regularizer` penalises the ID embeddings ``user_emb`` and ``item_emb``,
    which every subclass here has (a subclass without them overrides it).
    """

    cold_content_only: bool = False  # content models set it: unseen items drop their ID part

    def __init__(self, n_users: int, n_items: int, loss: str = "bpr", temperature: float = 1.0) -> None:
        super().__init__(n_users, n_items)
        self.loss_name, self.temperature = check_loss(loss), temperature
        self.register_buffer("seen", torch.ones(n_items, dtype=torch.bool))

    def prepare(self, split: Split) -> None:
        """Record which items have training interactions (``seen``, ``(n_items,)`` bool)."""
        self.seen.copy_(split.trained_items().to(self.seen.device))

    def id_gate(self, items: torch.Tensor) -> torch.Tensor:
        """``(b,)`` float: 1 where an item's ID part counts, 0 for unseen items when the model has
        ``cold_content_only`` set (their ID vectors never saw a positive: pure noise)."""
        if not self.cold_content_only:
            return torch.ones(items.shape, device=items.device)
        return self.seen[items].float()

    def all_items(self) -> torch.Tensor:
        """``(n_items,)`` long: every item index, on the model's device."""
        return torch.arange(self.n_items, device=self.seen.device)

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, d)``."""
        raise NotImplementedError

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """``(b,) -> (b, d)``; ``None`` -> all items ``(n_items, d)``."""
        raise NotImplementedError

    def item_bias(self, items: torch.Tensor | None = None) -> torch.Tensor | None:
        """``(b,) -> (b,)`` (``None`` -> ``(n_items,)``), or ``None`` for a model without biases."""
        return None

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``."""
        scores = self.user_vectors(users) @ self.item_vectors().T
        bias = self.item_bias()
        return scores if bias is None else scores + bias[None, :]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(b,), (b,) -> (b,)``."""
        scores = (self.user_vectors(users) * self.item_vectors(items)).sum(-1)
        bias = self.item_bias(items)
        return scores if bias is None else scores + bias

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """BPR or in-batch sampled softmax over ``(b,)`` users, positives and negatives, plus L2."""
        u = self.user_vectors(users)
        items = torch.cat([pos, neg])
        vecs, bias = self.item_vectors(items), self.item_bias(items)
        if self.loss_name == "bpr":
            scores = (u.repeat(2, 1) * vecs).sum(-1)
            if bias is not None:
                scores = scores + bias
            loss = bpr_loss(scores[: len(pos)], scores[len(pos):])
        else:
            loss = sampled_softmax_loss(u, vecs, items, pos, bias, self.temperature)
        if reg:
            loss = loss + reg * self.batch_regularizer(users, pos, neg, vecs)
        return loss

    def regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Mean over the ``(b,)`` batch of :math:`\\|p_u\\|^2 + \\|q_i\\|^2 + \\|q_j\\|^2`, the squared
        norms of the ID embeddings (``user_emb``, ``item_emb``) used: a scalar."""
        return squared_norms((self.user_emb, users), (self.item_emb, pos), (self.item_emb, neg)).mean()

    def batch_regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor,
                          item_vecs: torch.Tensor) -> torch.Tensor:
        """The L2 term of a batch, given the ``(2b, d)`` item vectors of ``[pos; neg]`` already
        computed by the loss (a model whose penalty involves them can reuse them). Default:
        :meth:`regularizer`."""
        return self.regularizer(users, pos, neg)


def _embedding(n: int, dim: int, std: float) -> nn.Embedding:
    """An ``(n, dim)`` embedding table drawn from :math:`\\mathcal{N}(0, \\text{std}^2)`."""
    emb = nn.Embedding(n, dim)
    nn.init.normal_(emb.weight, std=std)
    return emb


class BPRMF(FactorModel):
    """Matrix factorisation over IDs only: :math:`s_u^i = \\langle \\mathbf{p}_u, \\mathbf{q}_i \\rangle + b_i`
    (the item bias :math:`b_i` only with ``bias``, the default: it absorbs popularity, which
    matters a lot on long-tailed data), trained with BPR by default.

    An item never seen in training has only a random (and, through negative sampling, pushed
    down) vector: ID-only models cannot rank cold items.
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 64, bias: bool = True, loss: str = "bpr",
                 temperature: float = 1.0, init_std: float = 0.1) -> None:
        super().__init__(n_users, n_items, loss, temperature)
        self.user_emb = _embedding(n_users, dim, init_std)
        self.item_emb = _embedding(n_items, dim, init_std)
        self.bias = nn.Parameter(torch.zeros(n_items)) if bias else None

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """:math:`p_u`: ``(b,) -> (b, dim)``."""
        return self.user_emb(users)

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """:math:`q_i`: ``(b,) -> (b, dim)`` (``None``: ``(n_items, dim)``)."""
        return self.item_emb.weight if items is None else self.item_emb(items)

    def item_bias(self, items: torch.Tensor | None = None) -> torch.Tensor | None:
        """:math:`b_i`: ``(b,) -> (b,)`` (``None``: ``(n_items,)``), or ``None`` without ``bias``."""
        if self.bias is None:
            return None
        return self.bias if items is None else self.bias[items]

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """As :meth:`FactorModel.loss`; BPR with its gradient in closed form (:mod:`.fused_bpr`), the
        same numbers to rounding in a fraction of autograd's time."""
        if self.loss_name != "bpr":
            return super().loss(users, pos, neg, reg)
        return bpr_mf_loss(self.user_emb.weight, self.item_emb.weight, self.bias, users, pos, neg, reg)
