"""A ranker that mixes the user's representation with a cross-modal context: z_u' = δ·z_u + (1−δ)·c_uv.

Pieces (``d`` = ``content.dim``):

* item vector :math:`z_v` = fused content (:class:`~mmrec_tutorial.models.content.ItemContent`:
  every modality projected, then fused, e.g. z = α·h_text + β·h_img + γ·h_audio) plus the item's
  ID embedding when the item has training interactions (a cold item has no useful ID vector);
* the item's modality tokens :math:`t_m` = the projected modality vectors before fusion;
* user vector :math:`z_u` = the user's ID embedding, in the same space;
* :math:`c_{uv}` = :class:`~mmrec_tutorial.crossmodal.BidirectionalCrossAttention` between the
  user's training history (the :math:`z` of their last ``max_len`` items) and the candidate's tokens;
* score :math:`s_u^v = \\langle \\delta z_u + (1-\\delta) c_{uv},\\; z_v \\rangle`, δ fixed or learned.

Training is BPR (``train.fit``); while training, the positive item is hidden from the user's own
history, so that c_uv cannot score an item by finding it there. ``align_weight > 0`` adds the
contrastive alignment loss (symmetric InfoNCE between every pair of modality tokens, and between
the fused content and the ID embedding of seen items) on the batch's items.

Switches for the ablation: ``cross=False`` fixes δ = 1 (no c_uv: the fusion-only model) and
``align_weight=0`` drops the alignment loss.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..crossmodal import (BidirectionalCrossAttention, CrossAttentionOutput, DeltaMix, LogitScale,
                          borrow_missing, info_nce, modality_pairs, pairwise_alignment_loss)
from ..data.datasets import UserSequences
from .base import Recommender
from .content import ItemContent
from .factor import _embedding, trained_item_mask


class CrossModalRanker(Recommender):
    """See the module docstring.

    Args:
        content: the item content tower (features, projection heads, fusion).
        delta: initial (or fixed) δ; ``learn_delta`` trains it (δ = sigmoid(logit)).
        cross: use c_uv at all; ``False`` means δ = 1 exactly (fusion only).
        align_weight: weight λ of the alignment loss added to BPR (0: none).
        align_id: include content ↔ ID embedding in the alignment loss.
        max_len: history items each user attends over (the most recent ones).
        cold_content_only: drop the ID embedding of items without training interactions.
        borrow: fill a missing modality token with the item's other (aligned) tokens at scoring time.
    """

    def __init__(self, n_users: int, n_items: int, content: ItemContent, delta: float = 0.5,
                 learn_delta: bool = True, cross: bool = True, align_weight: float = 0.0, align_id: bool = True,
                 max_len: int = 50, cold_content_only: bool = True, init_std: float = 0.1,
                 borrow: bool = False) -> None:
        super().__init__(n_users, n_items)
        if content.n_items != n_items:
            raise ValueError(f"content has {content.n_items} items, the model {n_items}")
        d = content.dim
        self.content, self.dim, self.max_len = content, d, max_len
        self.modalities = list(content.modalities)
        self.user_emb = _embedding(n_users, d, init_std)
        self.item_emb = _embedding(n_items, d, init_std)
        self.cross = cross
        self.attention = BidirectionalCrossAttention(d) if cross else None
        self.delta = DeltaMix(delta if cross else 1.0, learnable=learn_delta and cross)
        if not cross:
            self.delta.set(1.0)
        self.align_weight, self.align_id = align_weight, align_id
        self.pairs = modality_pairs(self.modalities)
        names = [f"{a}-{b}" for a, b in self.pairs] + (["content-id"] if align_id else [])
        self.scales = nn.ModuleDict({n: LogitScale(0.1) for n in names})
        self.cold_content_only, self.borrow = cold_content_only, borrow
        self.register_buffer("seen", torch.ones(n_items, dtype=torch.bool))
        self.register_buffer("history", torch.zeros(n_users, max_len, dtype=torch.long))  # item_idx + 1, 0 = pad
        self.last_align: dict[str, float] = {}

    # ----------------------------------------------------------------- data the model keeps
    def prepare(self, split) -> None:
        """Store each user's last ``max_len`` training items and which items were seen in training."""
        seqs = UserSequences(split.train, self.n_users, self.max_len)
        self.history.copy_(seqs.history_matrix(torch.arange(self.n_users)).to(self.history.device))
        if self.cold_content_only:
            self.seen.copy_(trained_item_mask(split, self.n_items).to(self.seen.device))

    # ----------------------------------------------------------------- representations
    def item_tokens(self, items: torch.Tensor | None = None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Projected modality vectors ``{m: (b, d)}`` (zero where missing) and masks ``{m: (b,)}``;
        with ``borrow``, missing tokens are filled from the item's other tokens."""
        feats, masks = {}, {}
        for m in self.modalities:
            raw, mask = getattr(self.content, f"feat_{m}"), self.content.mask(m)
            if items is not None:
                raw, mask = raw[items], mask[items]
            feats[m] = self.content.heads[m](raw) * mask[:, None]
            masks[m] = mask
        if self.borrow:
            feats, masks = borrow_missing(feats, masks)
        return feats, masks

    def item_vectors(self, items: torch.Tensor | None = None, tokens=None) -> torch.Tensor:
        """:math:`z_v` = fused content + ID embedding (seen items only): ``(b,) -> (b, d)``."""
        if items is None:
            items = torch.arange(self.n_items, device=self.seen.device)
        feats, masks = tokens if tokens is not None else self.item_tokens(items)
        content = self.content.fusion(feats, masks)
        return content + self.item_emb(items) * self.seen[items, None].to(content.dtype)

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """:math:`z_u`: ``(b,) -> (b, d)``."""
        return self.user_emb(users)

    def _history(self, users: torch.Tensor, z_all: torch.Tensor,
                 hide: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """History item indices ``(b, L)`` (-1 = pad), their z ``(b, L, d)`` and mask ``(b, L)``;
        ``hide`` ``(b,)``: an item to mask out of each row (the positive while training)."""
        tokens = self.history[users]
        mask = tokens > 0
        if hide is not None:
            mask = mask & (tokens != hide[:, None] + 1)
        idx = tokens - 1
        return idx, z_all[idx.clamp(min=0)] * mask[..., None], mask

    @staticmethod
    def _stack(feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.stack(list(feats.values()), dim=1), torch.stack(list(masks.values()), dim=1)

    # ----------------------------------------------------------------- scoring
    def score_parts(self, users: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two parts of the score for every item: ``S_z`` = ⟨z_u, z_v⟩ and ``S_c`` = ⟨c_uv, z_v⟩,
        each ``(b, n_items)``; the score is ``δ·S_z + (1−δ)·S_c`` (linear in δ)."""
        feats, masks = self.item_tokens()
        z_all = self.item_vectors(None, (feats, masks))
        s_z = self.user_vectors(users) @ z_all.T
        if self.attention is None:
            return s_z, torch.zeros_like(s_z)
        _, hist, hmask = self._history(users, z_all)
        tokens, tmask = self._stack(feats, masks)
        return s_z, self.attention.score_all(hist, hmask, tokens, tmask, z_all)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``."""
        s_z, s_c = self.score_parts(users)
        if self.attention is None:
            return s_z
        delta = self.delta.value
        return delta * s_z + (1 - delta) * s_c

    def _pair_scores(self, users: torch.Tensor, items: torch.Tensor, z_all: torch.Tensor,
                     feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], hide: torch.Tensor | None):
        z_u, z_v = self.user_vectors(users), z_all[items]
        if self.attention is None:
            return (z_u * z_v).sum(-1)
        _, hist, hmask = self._history(users, z_all, hide)
        tokens, tmask = self._stack({m: f[items] for m, f in feats.items()}, {m: k[items] for m, k in masks.items()})
        c = self.attention(hist, hmask, tokens, tmask).c
        return (self.delta(z_u, c) * z_v).sum(-1)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(b,), (b,) -> (b,)`` (same numbers as ``full_scores`` picks)."""
        feats, masks = self.item_tokens()
        return self._pair_scores(users, items, self.item_vectors(None, (feats, masks)), feats, masks, None)

    @torch.no_grad()
    def explain(self, user: int, item: int) -> tuple[CrossAttentionOutput, np.ndarray]:
        """Attention maps for one (user, item): the :class:`CrossAttentionOutput` (batch of one) and the
        history item indices ``(L,)`` (-1 = padding) that its rows refer to."""
        if self.attention is None:
            raise ValueError("this model has no cross-attention (cross=False)")
        feats, masks = self.item_tokens()
        z_all = self.item_vectors(None, (feats, masks))
        users = torch.tensor([user], device=z_all.device)
        idx, hist, hmask = self._history(users, z_all)
        tokens, tmask = self._stack({m: f[[item]] for m, f in feats.items()}, {m: k[[item]] for m, k in masks.items()})
        out = self.attention(hist, hmask, tokens, tmask)
        return out, torch.where(hmask, idx, -1)[0].cpu().numpy()

    # ----------------------------------------------------------------- training
    def alignment_loss(self, items: torch.Tensor, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
                       z_content: torch.Tensor) -> torch.Tensor:
        """Mean InfoNCE over modality pairs (+ content ↔ ID for seen items) on ``items`` ``(k,)``."""
        tokens = {m: f[items] for m, f in feats.items()}
        tmasks = {m: k[items] for m, k in masks.items()}
        loss, parts = pairwise_alignment_loss(tokens, tmasks, self.pairs, self.scales)
        if self.align_id:
            seen = self.seen[items]
            id_loss = info_nce(z_content[items][seen], self.item_emb(items[seen]), self.scales["content-id"]())
            parts["content-id"] = float(id_loss.detach())
            loss = (loss * len(self.pairs) + id_loss) / (len(self.pairs) + 1)
        self.last_align = parts
        return loss

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """BPR (positive hidden from the history) + ``reg``·L2 + ``align_weight``·alignment."""
        feats, masks = self.item_tokens()
        content = self.content.fusion(feats, masks)
        items_all = torch.arange(self.n_items, device=content.device)
        z_all = content + self.item_emb(items_all) * self.seen[:, None].to(content.dtype)
        s_pos = self._pair_scores(users, pos, z_all, feats, masks, hide=pos)
        s_neg = self._pair_scores(users, neg, z_all, feats, masks, hide=pos)
        loss = F.softplus(s_neg - s_pos).mean()
        if reg:
            loss = loss + reg * self.regularizer(users, pos, neg)
        if self.align_weight > 0:
            loss = loss + self.align_weight * self.alignment_loss(torch.unique(pos), feats, masks, content)
        return loss

    def regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of the squared norms of the user and item ID embeddings."""
        return (self.user_emb(users).pow(2).sum(-1) + self.item_emb(pos).pow(2).sum(-1)
                + self.item_emb(neg).pow(2).sum(-1)).mean()
