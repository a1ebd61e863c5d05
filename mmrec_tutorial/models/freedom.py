"""A multimodal item-graph ranker in the spirit of FREEDOM (Zhou & Shen, ACM MM 2023).

Two graphs, one frozen and one denoised:

1. **The item graph, frozen.** For each modality :math:`m`, every item is linked to its ``k``
   nearest items by cosine similarity of the raw features (:func:`~.graphs.knn_graph`), and the
   modality graphs are mixed with the course's weights, :math:`S = \\alpha S_{text} + \\beta S_{img}
   + \\gamma S_{audio}` (rows renormalised, :func:`~.graphs.fuse_item_graphs`). :math:`S` is built
   once, before training, and never changes. The item ID embeddings :math:`e_v^{(0)}` are smoothed
   over it: :math:`\\tilde h = S^{L} e^{(0)}` (``item_layers`` = :math:`L`), so items with similar
   content share what their IDs learn, even an item with no interaction of its own.
2. **The user–item graph, pruned.** LightGCN's propagation (:class:`~.lightgcn.LightGCN`, ``K``
   layers, layer mean) over :math:`\\hat A`, except that every training epoch uses a new random
   subset of the edges, a fraction ``keep`` of them, an edge surviving with probability
   :math:`\\propto 1/\\sqrt{d_u d_v}` (degree-sensitive pruning, :func:`~.graphs.prune_edges`).
   Scoring uses the full graph.

The user vector is :math:`p_u = e_u` (LightGCN's layer mean), the item vector
:math:`q_v = e_v + \\tilde h_v`, the score :math:`s_u^v = \\langle p_u, q_v \\rangle`, and the loss
BPR plus ``content_weight`` (:math:`\\lambda`) times a BPR loss of the user vector against the
items' projected, fused content :math:`z_v` (:class:`~.content.ItemContent`), which ties the
content to the users' tastes, plus L2 on the batch's :math:`e^{(0)}` rows:

.. math:: \\mathcal L = \\mathrm{BPR}(p_u, q_{v^+}, q_{v^-}) + \\lambda\\, \\mathrm{BPR}(p_u, z_{v^+}, z_{v^-})
          + \\mathrm{reg}\\,\\|e^{(0)}\\|^2

An item without training interactions has no edge in the user–item graph, so its LightGCN part
would be only its random initial vector divided by ``K + 1``. The item graph fills it in instead:
such an item takes the mean of its neighbours' LightGCN vectors, :math:`(S E_{items})_v`, so that
:math:`q_v = (S E_{items})_v + \\tilde h_v` is on the same scale as a warm item's vector and a new
item is ranked by what its look-alikes learned (VBPR's cold items are ranked by content too).

The defaults switch both of FREEDOM's training devices off, ``keep=1`` (no pruning) and
``content_weight=0``: on the validation part of Last.fm 2K each of them lowered Recall@20
(``benchmarks/graph_models.py --grid``); they stay here to be tried on other data.

Memory: the item graph holds at most ``n_items * k`` edges per modality; building it keeps one
``(1024, n_items)`` block of similarities at a time.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from ..data.modalities import ItemFeatures
from ..data.splits import Split
from .content import ItemContent
from .graphs import fuse_item_graphs, knn_graph, normalized_adjacency, prune_edges
from .lightgcn import LightGCN
from .losses import bpr_loss


class FreedomRanker(LightGCN):
    """See the module docstring. ``content``: the items' features (one row per item); ``k``:
    neighbours per item and modality; ``modality_weights``: ``{modality: weight}`` of the item
    graph (default: equal);
    ``keep``: fraction of user–item edges kept each epoch (1: no pruning); ``content_weight``: the
    content loss's λ (0: off, and no content tower is built); ``fusion``: that tower's fusion."""

    def __init__(self, n_users: int, n_items: int, content: ItemFeatures, dim: int = 64, n_layers: int = 2,
                 item_layers: int = 1, k: int = 10, modality_weights: Mapping[str, float] | None = None,
                 keep: float = 1.0, content_weight: float = 0.0, init_std: float = 0.1,
                 fusion: nn.Module | str | None = None) -> None:
        super().__init__(n_users, n_items, dim=dim, n_layers=n_layers, init_std=init_std)
        if content.n_items != n_items:
            raise ValueError(f"content has {content.n_items} items (rows), the model n_items={n_items}")
        self.item_layers, self.keep, self.content_weight = item_layers, keep, content_weight
        self.modality_weights = dict(modality_weights) if modality_weights else {m: 1.0 for m in content.modalities}
        graphs = {m: knn_graph(content.features[m], k, content.masks[m]) for m in content.modalities}
        self.register_buffer("item_graph", fuse_item_graphs(graphs, self.modality_weights), persistent=False)
        self.content = ItemContent(content, dim=dim, fusion=fusion) if content_weight > 0 else None
        self.register_buffer("seen", torch.ones(n_items, dtype=torch.bool))
        self._edges: tuple[torch.Tensor, torch.Tensor] | None = None
        self._pruned: torch.Tensor | None = None
        self._generator: torch.Generator | None = None

    def prepare(self, split: Split) -> None:
        """LightGCN's full graph, the unique training edges to prune from, and which items were seen."""
        super().prepare(split)
        self.seen.copy_(split.trained_items().to(self.seen.device))
        pairs = torch.unique(torch.stack([torch.as_tensor(split.train["user_idx"].to_numpy(copy=True)),
                                          torch.as_tensor(split.train["item_idx"].to_numpy(copy=True))]), dim=1)
        self._edges = (pairs[0].long(), pairs[1].long())
        self._generator = torch.Generator().manual_seed(int(torch.randint(2**31 - 1, ())))

    def start_epoch(self) -> None:
        """Draw this epoch's pruned user–item graph (nothing to do when ``keep`` is 1)."""
        if self._edges is None or self.keep >= 1:
            return
        users, items = self._edges
        kept = prune_edges(users, items, self.keep, self._generator)
        graph = normalized_adjacency(users[kept].numpy(), items[kept].numpy(), self.n_users, self.n_items)
        self._pruned = graph.to(self.user_emb.weight.device)

    def graph(self) -> torch.Tensor:
        """The pruned graph while training (once an epoch has drawn one), the full graph otherwise."""
        return self._pruned if self.training and self._pruned is not None else self.adjacency

    def item_graph_part(self) -> torch.Tensor:
        """:math:`\\tilde h = S^L e^{(0)}`: ``(n_items, d)``."""
        h = self.item_emb.weight
        for _ in range(self.item_layers):
            h = torch.sparse.mm(self.item_graph, h)
        return h

    def propagate(self) -> tuple[torch.Tensor, torch.Tensor]:
        """User vectors ``(n_users, d)`` and item vectors :math:`q_v` ``(n_items, d)``; unseen items'
        LightGCN part is their item-graph neighbours' mean (see the module docstring)."""
        users, items = super().propagate()
        if not bool(self.seen.all()):
            items = torch.where(self.seen[:, None], items, torch.sparse.mm(self.item_graph, items))
        return users, items + self.item_graph_part()

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """See the module docstring: ``(b,)`` users, positives, negatives -> a scalar."""
        user_vecs, item_vecs = self.propagate()
        u = user_vecs[users]
        loss = bpr_loss((u * item_vecs[pos]).sum(-1), (u * item_vecs[neg]).sum(-1))
        if self.content is not None:
            z = self.content(torch.cat([pos, neg]))
            z_pos, z_neg = z[: len(pos)], z[len(pos):]
            loss = loss + self.content_weight * bpr_loss((u * z_pos).sum(-1), (u * z_neg).sum(-1))
        return self.with_regularizer(loss, reg, users, pos, neg)
