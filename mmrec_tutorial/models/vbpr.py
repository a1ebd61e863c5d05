"""VBPR-style ranker: ID factors plus factors computed from the item's (fused multimodal) content.

He & McAuley (2016) add to matrix factorisation a content term:
:math:`s_u^v = \\langle \\gamma_u, \\gamma_v \\rangle + \\langle \\theta_u, E f_v \\rangle + \\beta_v + \\beta'^\\top E f_v`
in the paper's letters, where :math:`f_v` are the item's content features and :math:`E` a learned
projection; in the course's notation (notebook 00) :math:`\\langle z_u, q_v \\rangle + \\langle
\\theta_u, z_v \\rangle + b_v + b'^\\top z_v`. Here :math:`z_v = E f_v` is
:class:`~mmrec_tutorial.models.content.ItemContent`: every modality projected and fused
(z_v = α·h_text + β·h_img + γ·h_audio with a weighted-sum fusion).
"""

from __future__ import annotations

import torch
from torch import nn

from .base import squared_norms
from .content import ItemContent
from .factor import FactorModel, _embedding


class VBPR(FactorModel):
    """See the module docstring. Written as one inner product:
    user vector :math:`[\\gamma_u; \\theta_u; 1]`, item vector :math:`[\\gamma_i; E f_i; \\beta_i + \\beta'^\\top E f_i]`.

    With ``cold_content_only`` (default), an item that has no training interaction drops its ID
    part (:math:`\\gamma_i = 0, \\beta_i = 0`): its ID factors never saw a positive example, only
    negative samples, so they carry no information; the content term alone ranks it.
    """

    def __init__(self, n_users: int, n_items: int, content: ItemContent, dim: int = 64, loss: str = "bpr",
                 temperature: float = 1.0, init_std: float = 0.1, cold_content_only: bool = True,
                 content_reg: float = 0.1) -> None:
        super().__init__(n_users, n_items, loss, temperature)
        content.check_items(n_items)
        self.content = content
        self.user_emb = _embedding(n_users, dim, init_std)
        self.user_theta = _embedding(n_users, content.dim, init_std)
        self.item_emb = _embedding(n_items, dim, init_std)
        self.item_beta = nn.Parameter(torch.zeros(n_items))
        self.content_beta = nn.Linear(content.dim, 1, bias=False)
        self.cold_content_only = cold_content_only
        self.content_reg = content_reg

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, dim + content.dim + 1)``."""
        one = torch.ones(len(users), 1, device=users.device)
        return torch.cat([self.user_emb(users), self.user_theta(users), one], dim=-1)

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """``(b,) -> (b, dim + content.dim + 1)`` (``None``: all items)."""
        if items is None:
            items = self.all_items()
        gate = self.id_gate(items)
        content = self.content(items)
        bias = self.item_beta[items] * gate + self.content_beta(content).squeeze(-1)
        return torch.cat([self.item_emb(items) * gate[:, None], content, bias[:, None]], dim=-1)

    def regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of the squared norms of z_u, θ_u, q_v+, q_v-, b_v+, b_v-, plus
        ``content_reg`` times those of the content vectors z_v+, z_v- (VBPR's λ_E: without it the
        projection memorises the training items and the content term stops generalising)."""
        return self.batch_regularizer(users, pos, neg, self.item_vectors(torch.cat([pos, neg])))

    def batch_regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor,
                          item_vecs: torch.Tensor) -> torch.Tensor:
        """:meth:`regularizer`, reading E f_i from the ``(2b, ·)`` item vectors of ``[pos; neg]`` the
        loss already computed: a scalar."""
        b, dim = len(pos), self.item_emb.embedding_dim
        content_sq = item_vecs[:, dim:dim + self.content.dim].pow(2).sum(-1)  # [pos; neg]
        reg = (squared_norms((self.user_emb, users), (self.user_theta, users), (self.item_emb, pos),
                             (self.item_emb, neg))
               + self.item_beta[pos].pow(2) + self.item_beta[neg].pow(2))
        return (reg + self.content_reg * (content_sq[:b] + content_sq[b:])).mean()
