"""A ranker that mixes the user's representation with a cross-modal context: z_u' = δ·z_u + (1−δ)·c_uv.

Pieces (``d`` = ``content.dim``):

* item vector :math:`z_v` = fused content (:class:`~mmrec_tutorial.models.content.ItemContent`:
  every modality projected, then fused, e.g. z = α·h_text + β·h_img + γ·h_audio) plus the item's
  ID embedding when the item has training interactions (a cold item has no useful ID vector);
* the item's modality tokens :math:`t_m` = the projected modality vectors before fusion;
* user vector :math:`z_u` = the user's ID embedding, in the same space;
* :math:`c_{uv}` = :class:`~mmrec_tutorial.crossmodal.BidirectionalCrossAttention` between the
  user's training history (the :math:`z` of their last ``max_len`` items) and the candidate's tokens;
* score :math:`s_u^v = \\langle z_u',\\; z_v \\rangle` with :math:`z_u' = \\delta z_u + (1-\\delta) c_{uv}`,
  δ fixed or learned; or, with ``head="deepmf"`` / ``"transformer"``, a deep MF or a Transformer
  cross-encoder over the pair (z_u', z_v) (:mod:`.pair_heads`).

Training is BPR (``train.fit``); while training, the positive item is hidden from the user's own
history, so that c_uv cannot score an item by finding it there; a candidate's ID embedding is
dropped at random (``id_dropout``), so that items known only by their content (cold items) are
scored on the same scale as the others; and negatives are drawn among items that have training
interactions (``data.BPRTriples``), as new items would not be in the training catalog.
``align_weight > 0`` adds the
contrastive alignment loss (symmetric InfoNCE between every pair of modality tokens, and between
the fused content and the ID embedding of seen items) on the batch's items.

Switches for the ablation: ``cross=False`` fixes δ = 1 (no c_uv: the fusion-only model) and
``align_weight=0`` drops the alignment loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import nn

from ..crossmodal import (BidirectionalCrossAttention, CrossAttentionOutput, DeltaMix, LogitScale,
                          borrow_missing, cross_modal_info_nce, modality_pairs, pairwise_alignment_loss)
from .base import history_matrix
from .content import ItemContent, stack_tokens
from .factor import FactorModel, _embedding
from .losses import bpr_loss
from .pair_heads import build_head

#: Most user × item pairs a non-dot head scores at once in full ranking (bounds its memory).
HEAD_PAIRS = 1 << 16

if TYPE_CHECKING:
    from ..data.splits import Split


class ItemTables(NamedTuple):
    """Every item's representations at once (``n`` = n_items, ``d`` = content.dim, ``M`` modalities)."""

    content: torch.Tensor  #: fused content ``(n, d)``
    z: torch.Tensor  #: item vectors :math:`z_v` = content + ID part ``(n, d)``
    tokens: torch.Tensor  #: modality tokens ``(n, M, d)``
    mask: torch.Tensor  #: which tokens are present ``(n, M)``
    feats: dict[str, torch.Tensor]  #: the tokens by modality ``{m: (n, d)}``
    masks: dict[str, torch.Tensor]  #: the mask by modality ``{m: (n,)}``


class CrossModalRanker(FactorModel):
    """See the module docstring.

    Args:
        content: the item content tower (features, projection heads, fusion).
        delta: initial (or fixed) δ; ``learn_delta`` trains it (δ = sigmoid(logit)).
        cross: use c_uv at all; ``False`` means δ = 1 exactly (fusion only).
        align_weight: weight λ of the alignment loss added to BPR (0: none).
        align_id: include content ↔ ID embedding in the alignment loss.
        align_modalities: include every pair of modality tokens in the alignment loss.
        align_heads: compare vectors through small linear heads (used only by the loss, as in
            SimCLR/CLIP), so that aligning does not force text and image tokens to coincide and
            lose what each modality adds on its own.
        max_len: history items each user attends over (the most recent ones).
        cold_content_only: drop the ID embedding of items without training interactions.
        id_dropout: in training, drop a seen candidate's ID embedding with this probability, so the
            model also learns to rank items from content alone (as it must for cold items).
        borrow: fill a missing modality token with the item's other (aligned) tokens at scoring time.
        head: how (z_u', z_v) becomes a score: ``"dot"`` (inner product), ``"deepmf"`` or
            ``"transformer"`` (:mod:`.pair_heads`).
    """

    def __init__(self, n_users: int, n_items: int, content: ItemContent, delta: float = 0.5,
                 learn_delta: bool = True, cross: bool = True, align_weight: float = 0.0, align_id: bool = True,
                 align_modalities: bool = True, align_heads: bool = True,
                 max_len: int = 20, cold_content_only: bool = True, id_dropout: float = 0.3,
                 init_std: float = 0.1, borrow: bool = False, head: str = "dot") -> None:
        super().__init__(n_users, n_items)  # BPR; FactorModel keeps ``seen`` and draws negatives
        content.check_items(n_items)
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
        self.align_weight, self.align_id, self.align_modalities = align_weight, align_id, align_modalities
        if not (align_id or align_modalities):
            raise ValueError("align_id and align_modalities cannot both be False")
        self.pairs = modality_pairs(self.modalities) if align_modalities else []
        names = [f"{a}-{b}" for a, b in self.pairs] + (["content-id"] if align_id else [])
        self.scales = nn.ModuleDict({n: LogitScale(0.1) for n in names})
        head_names = (self.modalities if align_modalities else []) + (["content", "id"] if align_id else [])
        self.align_heads = nn.ModuleDict({n: nn.Linear(d, d) for n in head_names}) if align_heads else None
        self.cold_content_only, self.id_dropout, self.borrow = cold_content_only, id_dropout, borrow
        self.register_buffer("history", torch.zeros(n_users, max_len, dtype=torch.long))  # item_idx + 1, 0 = pad
        self.head_name, self.head = head, build_head(head, d)
        self.last_align: dict[str, float] = {}

    # ----------------------------------------------------------------- data the model keeps
    def prepare(self, split: Split) -> None:
        """Store which items have training interactions (``seen``) and each user's last ``max_len``
        training items (``history``, item_idx + 1, 0 = padding)."""
        super().prepare(split)
        self.history.copy_(history_matrix(split.train, self.n_users, self.max_len).to(self.history.device))

    # ----------------------------------------------------------------- representations
    def item_tokens(self, items: torch.Tensor | None = None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Projected modality vectors ``{m: (b, d)}`` (zero where missing) and masks ``{m: (b,)}``
        (:meth:`ItemContent.token_dict`, before the fusion); with ``borrow``, missing tokens are
        filled from the item's other tokens."""
        feats, masks = self.content.token_dict(items)
        if self.borrow:
            feats, masks = borrow_missing(feats, masks)
        return feats, masks

    def _items(self) -> ItemTables:
        """For all items: fused content, :math:`z_v`, modality tokens and masks (see :class:`ItemTables`)."""
        feats, masks = self.item_tokens()
        content = self.content.fusion(feats, masks)
        z_all = content + self.item_emb.weight * self.id_gate(self.all_items())[:, None]
        tokens, tmask = stack_tokens(feats, masks)
        return ItemTables(content, z_all, tokens, tmask, feats, masks)

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """:math:`z_v` = fused content + ID embedding (seen items only): ``(b,) -> (b, d)`` (None: all)."""
        z_all = self._items().z
        return z_all if items is None else z_all[items]

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """:math:`z_u`: ``(b,) -> (b, d)``."""
        return self.user_emb(users)

    def _history(self, users: torch.Tensor, hide: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """History item indices ``(b, L)`` (padding points at item 0) and mask ``(b, L)``;
        ``hide`` ``(b,)``: an item to mask out of each row (the positive while training)."""
        tokens = self.history[users]
        mask = tokens > 0
        if hide is not None:
            mask = mask & (tokens != hide[:, None] + 1)
        return (tokens - 1).clamp(min=0), mask

    # ----------------------------------------------------------------- scoring
    def score_parts(self, users: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two parts of the score for every item: ``S_z`` = ⟨z_u, z_v⟩ and ``S_c`` = ⟨c_uv, z_v⟩,
        each ``(b, n_items)``; the score is ``δ·S_z + (1−δ)·S_c`` (linear in δ). Only for the dot head."""
        if self.head is not None:
            raise ValueError(f"score_parts splits an inner product; the {self.head_name!r} head is not one")
        t = self._items()
        z_all, tokens, tmask = t.z, t.tokens, t.mask
        s_z = self.user_vectors(users) @ z_all.T
        if self.attention is None:
            return s_z, torch.zeros_like(s_z)
        keys, values = self.attention.project_history(z_all)  # per item, once
        idx, hmask = self._history(users)
        return s_z, self.attention.score_all_kv(keys[idx], values[idx], hmask, tokens, tmask, z_all)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``."""
        if self.head is not None:
            return self._head_full_scores(users)
        s_z, s_c = self.score_parts(users)
        if self.attention is None:
            return s_z
        delta = self.delta.value
        return delta * s_z + (1 - delta) * s_c

    def _head_full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """Full ranking through a non-dot head: every c_uv built (``context_all_kv``), users in
        chunks of at most :data:`HEAD_PAIRS` pairs: ``(b,) -> (b, n_items)``."""
        t = self._items()
        n, d = t.z.shape
        if self.attention is not None:
            keys, values = self.attention.project_history(t.z)
        rows = []
        for chunk in users.split(max(1, HEAD_PAIRS // n)):
            z_u = self.user_vectors(chunk)[:, None].expand(-1, n, -1)  # (c, n, d)
            if self.attention is not None:
                idx, hmask = self._history(chunk)
                z_u = self.delta(z_u, self.attention.context_all_kv(keys[idx], values[idx], hmask, t.tokens, t.mask))
            z_v = t.z[None].expand(len(chunk), -1, -1)
            rows.append(self.head(z_u.reshape(-1, d), z_v.reshape(-1, d)).reshape(len(chunk), n))
        return torch.cat(rows)

    def _pair_scores(self, users: torch.Tensor, items: torch.Tensor, z_v: torch.Tensor, z_all: torch.Tensor,
                     tokens: torch.Tensor, tmask: torch.Tensor, hide: torch.Tensor | None) -> torch.Tensor:
        """Scores ``(b,)`` of ``users`` ``(b,)`` for ``items`` ``(b,)`` with vectors ``z_v`` ``(b, d)``,
        given all items' ``z_all`` ``(n, d)``, ``tokens`` ``(n, M, d)`` and ``tmask`` ``(n, M)``;
        ``hide`` ``(b,)``: an item to mask out of each user's history."""
        z_u = self.user_vectors(users)
        if self.attention is not None:
            keys, values = self.attention.project_history(z_all)
            idx, hmask = self._history(users, hide)
            c = self.attention.forward_kv(keys[idx], values[idx], hmask, tokens[items], tmask[items]).c
            z_u = self.delta(z_u, c)  # z_u'
        return (z_u * z_v).sum(-1) if self.head is None else self.head(z_u, z_v)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(b,), (b,) -> (b,)`` (same numbers as ``full_scores`` picks)."""
        t = self._items()
        return self._pair_scores(users, items, t.z[items], t.z, t.tokens, t.mask, None)

    @torch.no_grad()
    def explain(self, users: torch.Tensor, items: torch.Tensor) -> tuple[CrossAttentionOutput, torch.Tensor]:
        """Attention maps of ``(b,)`` user-item pairs: the :class:`CrossAttentionOutput` (``user_to_item``
        and ``item_to_user`` ``(b, L, M)``, modalities in the order of ``self.modalities``) and the
        history item indices ``(b, L)`` its rows refer to (-1 = padding)."""
        if self.attention is None:
            raise ValueError("this model has no cross-attention (cross=False)")
        t = self._items()
        z_all, tokens, tmask = t.z, t.tokens, t.mask
        users, items = users.to(z_all.device), items.to(z_all.device)
        idx, hmask = self._history(users)
        keys, values = self.attention.project_history(z_all)
        out = self.attention.forward_kv(keys[idx], values[idx], hmask, tokens[items], tmask[items])
        return out, torch.where(hmask, idx, -1)

    # ----------------------------------------------------------------- training
    def alignment_loss(self, items: torch.Tensor, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
                       z_content: torch.Tensor) -> torch.Tensor:
        """Mean InfoNCE over modality pairs (+ content ↔ ID for seen items) on ``items`` ``(k,)``."""
        def head(name: str, x: torch.Tensor) -> torch.Tensor:
            """``x`` ``(k, d)`` through alignment head ``name`` (identity without heads): ``(k, d)``."""
            return self.align_heads[name](x) if self.align_heads is not None else x

        losses, parts = [], {}
        if self.pairs:
            tokens = {m: head(m, f[items]) for m, f in feats.items()}
            tmasks = {m: k[items] for m, k in masks.items()}
            pair_loss, parts = pairwise_alignment_loss(tokens, tmasks, self.pairs, self.scales)
            losses += [pair_loss] * len(self.pairs)
        if self.align_id:
            seen = items[self.seen[items]]
            id_loss = cross_modal_info_nce(head("content", z_content[seen]), head("id", self.item_emb(seen)),
                               self.scales["content-id"]())
            parts["content-id"] = float(id_loss.detach())
            losses.append(id_loss)
        self.last_align = parts
        return torch.stack(losses).mean()

    def _candidates(self, items: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
        """:math:`z_v` of training candidates ``(b,) -> (b, d)``, each seen item's ID part dropped
        with probability ``id_dropout`` (so that content-only items are scored on the same scale)."""
        gate = self.id_gate(items)
        if self.training and self.id_dropout > 0:
            gate = gate * (torch.rand(len(items), device=items.device) >= self.id_dropout)
        return content[items] + self.item_emb(items) * gate[:, None]

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """BPR (positive hidden from the history, negatives among items seen in training) + ``reg``·L2
        + ``align_weight``·alignment."""
        t = self._items()
        s_pos = self._pair_scores(users, pos, self._candidates(pos, t.content), t.z, t.tokens, t.mask, hide=pos)
        s_neg = self._pair_scores(users, neg, self._candidates(neg, t.content), t.z, t.tokens, t.mask, hide=pos)
        loss = self.with_regularizer(bpr_loss(s_pos, s_neg), reg, users, pos, neg)
        if self.align_weight > 0:
            loss = loss + self.align_weight * self.alignment_loss(torch.unique(pos), t.feats, t.masks, t.content)
        return loss

