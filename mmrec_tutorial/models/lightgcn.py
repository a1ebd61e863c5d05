"""LightGCN (He et al., SIGIR 2020): matrix factorisation whose embeddings are smoothed over the
user–item graph.

The training interactions form a bipartite graph with adjacency
:math:`A = \\begin{pmatrix} 0 & R \\\\ R^\\top & 0 \\end{pmatrix}` (``R`` the ``(n_users, n_items)``
interaction matrix), normalised symmetrically, :math:`\\hat A = D^{-1/2} A D^{-1/2}` (``D`` the node
degrees). Starting from free embeddings :math:`E^{(0)}` ``(n_users + n_items, d)``, each layer only
propagates, :math:`E^{(k+1)} = \\hat A E^{(k)}` — no weight matrix, no non-linearity — and the final
embedding is the layer mean :math:`E = \\frac{1}{K+1}\\sum_{k=0}^{K} E^{(k)}`. The score is
:math:`s_u^i = \\langle e_u, e_i \\rangle`, trained with BPR and L2 on the batch's :math:`E^{(0)}` rows.

Only torch sparse operations (``torch.sparse.mm``) are used, so it runs on any device and torch
version the course supports. An item without training interactions has no edge: its embedding
stays random, and LightGCN, like BPR-MF, cannot rank cold items.
"""

from __future__ import annotations

import torch

from ..data.splits import Split
from .base import Recommender, squared_norms
from .factor import _embedding
from .graphs import normalized_adjacency
from .losses import bpr_loss


class LightGCN(Recommender):
    """See the module docstring. ``n_layers`` is ``K``; ``prepare(split)`` builds :math:`\\hat A`
    from the training interactions."""

    def __init__(self, n_users: int, n_items: int, dim: int = 64, n_layers: int = 3, init_std: float = 0.1) -> None:
        super().__init__(n_users, n_items)
        self.n_layers = n_layers
        self.user_emb = _embedding(n_users, dim, init_std)
        self.item_emb = _embedding(n_items, dim, init_std)
        self.register_buffer("adjacency", torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0),
                                                                  (n_users + n_items,) * 2, check_invariants=False),
                             persistent=False)

    def prepare(self, split: Split) -> None:
        """The normalised graph of ``split``'s training interactions, on the model's device."""
        train = split.train
        graph = normalized_adjacency(train["user_idx"].to_numpy(), train["item_idx"].to_numpy(), self.n_users,
                                     self.n_items)
        self.adjacency = graph.to(self.user_emb.weight.device)

    def graph(self) -> torch.Tensor:
        """The ``(n_users + n_items,) * 2`` sparse matrix :math:`\\hat A` that :meth:`propagate`
        uses (a subclass may change it while training)."""
        return self.adjacency

    def propagate(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The layer-mean embeddings: users ``(n_users, d)`` and items ``(n_items, d)``."""
        ego = torch.cat([self.user_emb.weight, self.item_emb.weight])
        graph = self.graph()
        total, layer = ego, ego
        for _ in range(self.n_layers):
            layer = torch.sparse.mm(graph, layer)
            total = total + layer
        mean = total / (self.n_layers + 1)
        return mean[: self.n_users], mean[self.n_users:]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``."""
        user_vecs, item_vecs = self.propagate()
        return user_vecs[users] @ item_vecs.T

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """BPR over one propagation of the whole graph, plus ``reg`` times the batch's squared
        :math:`E^{(0)}` norms (a scalar)."""
        user_vecs, item_vecs = self.propagate()
        u = user_vecs[users]
        loss = bpr_loss((u * item_vecs[pos]).sum(-1), (u * item_vecs[neg]).sum(-1))
        return self.with_regularizer(loss, reg, users, pos, neg)

    def regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of :math:`\\|e^{(0)}_u\\|^2 + \\|e^{(0)}_i\\|^2 + \\|e^{(0)}_j\\|^2`."""
        return squared_norms((self.user_emb, users), (self.item_emb, pos), (self.item_emb, neg)).mean()
