"""Rankers on top of the cross-modal mix: how a pair (z_u', z_v) becomes a score s_u^v.

The cross-modal ranker (:mod:`.crossmodal_ranker`) gives, for a user u and a candidate v, the mixed
user vector :math:`z_u' = \\delta z_u + (1-\\delta) c_{uv}` and the item vector :math:`z_v`. A
*head* scores the pair (``P`` pairs, width ``d``):

* ``"dot"``: :math:`s_u^v = \\langle z_u', z_v\\rangle` (no module: the ranker scores it directly,
  and in full ranking never builds the ``(users, items, d)`` tensor of all c_uv);
* ``"deepmf"``: :class:`DeepMFHead`, deep matrix factorisation over the pair,
  :math:`s_u^v = \\langle f(z_u'), g(z_v)\\rangle` with MLP towers ``f`` and ``g`` (He et al., 2017);
* ``"transformer"``: :class:`TransformerHead`, a cross-encoder: the two vectors are two tokens of a
  Transformer encoder, which lets each attend to the other before the product of their outputs,
  :math:`[h_u; h_v] = \\text{Transformer}([z_u' + e_u; z_v + e_v])`, :math:`s_u^v = \\langle h_u, h_v\\rangle`.

Both modules see one pair at a time, so ranking the whole catalog costs one pass per user × item:
that is the price of a ranker that is not an inner product.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .deep_mf import mlp

HEADS: tuple[str, ...] = ("dot", "deepmf", "transformer")


class DeepMFHead(nn.Module):
    """:math:`s = \\langle f(z_u'), g(z_v)\\rangle`; ``f``, ``g``: ``Linear -> ReLU`` per hidden width, then ``Linear(., d)``."""

    def __init__(self, dim: int, hidden: Sequence[int] = (128,), dropout: float = 0.0) -> None:
        super().__init__()
        self.user_tower = mlp(dim, hidden, dim, dropout)
        self.item_tower = mlp(dim, hidden, dim, dropout)

    def forward(self, z_user: torch.Tensor, z_item: torch.Tensor) -> torch.Tensor:
        """``z_user`` (z_u'), ``z_item`` (z_v): ``(P, d)`` -> scores ``(P,)``."""
        return (self.user_tower(z_user) * self.item_tower(z_item)).sum(-1)


class TransformerHead(nn.Module):
    """A two-token Transformer cross-encoder: tokens ``z_u' + e_u`` and ``z_v + e_v`` (``e``: learned
    type embeddings), pre-norm encoder layers, score = product of the two output tokens.

    With pre-norm layers the outputs are the inputs plus what the layers add, so a fresh head
    starts close to the dot head :math:`\\langle z_u', z_v\\rangle` and learns a correction.
    """

    def __init__(self, dim: int, n_layers: int = 1, n_heads: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.types = nn.Parameter(torch.zeros(2, dim))
        nn.init.normal_(self.types, std=0.02)
        layer = nn.TransformerEncoderLayer(dim, n_heads, dim_feedforward=2 * dim, dropout=dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)

    def forward(self, z_user: torch.Tensor, z_item: torch.Tensor) -> torch.Tensor:
        """``z_user`` (z_u'), ``z_item`` (z_v): ``(P, d)`` -> scores ``(P,)``."""
        out = self.encoder(torch.stack([z_user, z_item], dim=1) + self.types)  # (P, 2, d)
        return (out[:, 0] * out[:, 1]).sum(-1)


def build_head(name: str, dim: int) -> nn.Module | None:
    """The head called ``name`` (one of :data:`HEADS`) for width ``dim``; ``None`` for ``"dot"``."""
    if name not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {name!r}")
    return {"dot": lambda: None, "deepmf": lambda: DeepMFHead(dim),
            "transformer": lambda: TransformerHead(dim)}[name]()
