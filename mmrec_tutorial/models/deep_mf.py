"""Deep matrix factorisation (the seed text's 深度矩阵分解): MLP towers over IDs and content.

:math:`s_u^i = \\langle f(\\mathbf{p}_u), g([\\mathbf{q}_i ; \\mathbf{c}_i]) \\rangle`, where
:math:`\\mathbf{p}_u, \\mathbf{q}_i` are ID embeddings, :math:`\\mathbf{c}_i` the item's fused
content vector (optional) and :math:`f, g` multilayer perceptrons. Without content it is an
ID-only deep MF.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .content import ItemContent
from .factor import FactorModel, _embedding


def mlp(d_in: int, hidden: Sequence[int], d_out: int, dropout: float = 0.0) -> nn.Sequential:
    """``Linear -> ReLU -> Dropout`` per hidden width, then ``Linear(., d_out)``: ``(b, d_in) -> (b, d_out)``."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(d_in, width), nn.ReLU(), nn.Dropout(dropout)]
        d_in = width
    layers.append(nn.Linear(d_in, d_out))
    return nn.Sequential(*layers)


class DeepMF(FactorModel):
    """See the module docstring. ``dim``: ID embedding and output width; ``hidden``: tower widths.

    ``cold_content_only`` zeroes the ID embedding of items without training interactions (as in
    :class:`~mmrec_tutorial.models.vbpr.VBPR`), so that content alone places them. The L2 term is
    :meth:`FactorModel.regularizer` (the ID embeddings the batch uses).
    """

    def __init__(self, n_users: int, n_items: int, content: ItemContent | None = None, dim: int = 64,
                 hidden: Sequence[int] = (128,), dropout: float = 0.0, loss: str = "bpr", temperature: float = 1.0,
                 init_std: float = 0.1, cold_content_only: bool = True) -> None:
        super().__init__(n_users, n_items, loss, temperature)
        if content is not None:
            content.check_items(n_items)
        self.content = content
        self.user_emb = _embedding(n_users, dim, init_std)
        self.item_emb = _embedding(n_items, dim, init_std)
        self.user_tower = mlp(dim, hidden, dim, dropout)
        self.item_tower = mlp(dim + (content.dim if content is not None else 0), hidden, dim, dropout)
        self.cold_content_only = cold_content_only and content is not None

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, dim)``."""
        return self.user_tower(self.user_emb(users))

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """``(b,) -> (b, dim)`` (``None``: all items)."""
        if items is None:
            items = self.all_items()
        ids = self.item_emb(items) * self.id_gate(items)[:, None]
        x = ids if self.content is None else torch.cat([ids, self.content(items)], dim=-1)
        return self.item_tower(x)
