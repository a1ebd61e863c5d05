"""A ranker over fused multimodal item vectors: a two-tower scorer with any fusion of ``fusion.py``.

Per item and modality, the encoder's features ``x_v^m`` ``(d_m,)`` go through a projection head
to a shared ``d``: ``h_v^m = LayerNorm(W_m x_v^m + b_m)``. A fusion module combines them, and the
user scores the result:

    s_u^v = ⟨z_u, z_uv⟩ (+ ⟨z'_u, q_v⟩ + b_v),      z_uv = fuse({h_v^m}, mask_v, query = q_u)

with ``z_u`` a user embedding, ``q_u`` a user *query* embedding that lets attention fusion weigh
the modalities per user, the optional VBPR-style ID part ``⟨z'_u, q_v⟩`` (a second user vector
and the item's ID vector) and an item bias ``b_v`` (the course's notation, notebook 00).
Trained with BPR by ``train.fit``.

For fusions that are weighted sums (``fusion.linear``: fixed or learned weights, attention),
``⟨z_u, Σ_m w_m h_v^m⟩ = Σ_m w_m ⟨z_u, h_v^m⟩``: the model scores from per-modality score
matrices ``S_m[u, v] = ⟨z_u, h_v^m⟩`` (:meth:`FusedRecommender.modality_scores`) and the weights,
never forming ``z`` for every user-item pair. Late fusion gives each modality its own user
vector ``p_u^m`` and sums the scores ``⟨p_u^m, h_i^m⟩``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..data.modalities import ItemFeatures
from ..data.splits import TRAIN, Split
from ..fusion import AttentionFusion, Fusion, LateFusion
from .base import Recommender, squared_norms
from .content import ItemContent, standardize_features
from .factor import _embedding
from .losses import bpr_loss

__all__ = ["FusedRecommender", "FUSION_VARIANTS", "QUERIES", "standardize_features"]

#: Where attention fusion's user query comes from: a dedicated user embedding, the user
#: vector ``p_u`` itself, or the user's history (mean of the training items' modality vectors).
QUERIES: tuple[str, ...] = ("embedding", "user", "history")


#: The fusions notebook 03 compares (and ``benchmarks/fusion.py`` repeats over seeds), as
#: keyword arguments of :class:`FusedRecommender`. "Random mixing" trains with a fresh Dirichlet(1)
#: mix per example: the fixed sum's weights replaced, the attention's rescaled (unbiasedly).
FUSION_VARIANTS: dict[str, dict] = {
    "weighted sum (α=β=γ=1/3)": dict(fusion="sum"),
    "weighted sum, learned weights": dict(fusion="learned_sum"),
    "weighted sum, random mixing in training": dict(fusion="sum", fusion_kwargs={"random_mix": 1.0}),
    "concat + MLP": dict(fusion="concat"),
    "gated": dict(fusion="gated"),
    "attention (per user)": dict(fusion="attention", fusion_kwargs={"item_aware": False, "logit_cap": 0.5,
                                                                    "random_mix": 1.0}),
    "attention (per user–item pair)": dict(fusion="attention", query="user",
                                           fusion_kwargs={"item_aware": True, "random_mix": 1.0}),
    "late fusion, learned weights": dict(fusion="late"),
}


def _fusion_kwargs(kind: str, query: str, query_dim: int, dim: int, n_modalities: int, modality_dropout: float,
                   fusion_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments of ``make_fusion(kind, ...)``: ``fusion_kwargs`` plus the modality dropout and,
    for attention, the size of the user query (``d`` for ``query="user"``, ``M·d`` for ``"history"``)."""
    kwargs = dict(fusion_kwargs or {})
    if kind == "attention":
        sizes = {"user": dim, "history": dim * n_modalities}
        kwargs.setdefault("query_dim", sizes.get(query, query_dim))
    return dict(modality_dropout=modality_dropout, **kwargs)


class FusedRecommender(Recommender):
    """Two-tower ranker over projected and fused modality features (see the module docstring).

    ``content``: the items' :class:`~mmrec_tutorial.data.modalities.ItemFeatures`. ``fusion``: a
    :class:`~mmrec_tutorial.fusion.Fusion` or a kind for :func:`~mmrec_tutorial.fusion.make_fusion` (``"sum"``, ``"learned_sum"``, ``"concat"``,
    ``"gated"``, ``"attention"``, ``"late"``), built with ``fusion_kwargs`` and
    ``modality_dropout``. Attention built here gets a user query: ``query="embedding"`` (its own
    ``(n_users, query_dim)`` embedding ``q_u``), ``"user"`` (the user vector ``p_u``) or
    ``"history"`` (the mean of the user's training items' modality vectors, set by ``prepare``).
    ``hidden`` gives the projection heads a hidden layer. ``item_id`` adds the VBPR-style ID
    factors, ``item_bias`` a per-item bias (popularity). ``dim`` is the shared size ``d``.

    The item side (standardised features, projection heads, fusion) is an
    :class:`~mmrec_tutorial.models.content.ItemContent`, ``self.content``; ``fusion`` and ``heads``
    are read-only views of its parts (checkpoint keys ``content.heads.*`` / ``content.fusion.*``).
    """

    def __init__(self, n_users: int, n_items: int, content: ItemFeatures, fusion: str | Fusion = "attention",
                 dim: int = 64,
                 item_id: bool = False, item_bias: bool = True, query: str = "embedding", query_dim: int = 16,
                 hidden: int | None = None, modality_dropout: float = 0.0, init_std: float = 0.1,
                 fusion_kwargs: dict | None = None) -> None:
        super().__init__(n_users, n_items)
        features = content.features
        if not features:
            raise ValueError("FusedRecommender needs the features of at least one modality")
        if query not in QUERIES:
            raise ValueError(f"query must be one of {QUERIES}, got {query!r}")
        self.modalities = tuple(features)
        self.dim, self.query_source = dim, query
        kwargs = (_fusion_kwargs(fusion, query, query_dim, dim, len(features), modality_dropout, fusion_kwargs)
                  if isinstance(fusion, str) else None)
        # the content tower: heads first, then the fusion (a kind is built inside, after the heads)
        self.content = ItemContent(content, dim=dim, fusion=fusion, hidden=hidden, fusion_kwargs=kwargs)
        self.content.check_items(n_items)
        fusion = self.content.fusion
        if tuple(fusion.modalities) != self.modalities:
            raise ValueError(f"fusion modalities {fusion.modalities} differ from the features' {self.modalities}")
        self.late = isinstance(fusion, LateFusion)
        n_user_vectors = len(self.modalities) if self.late else 1
        self.user_emb = _embedding(n_users, dim * n_user_vectors, init_std)
        self.needs_query = isinstance(fusion, AttentionFusion) and bool(fusion.query_dim)
        if self.needs_query and self.late:
            raise ValueError("late fusion takes no user query")
        own = self.needs_query and query == "embedding"
        self.user_query = _embedding(n_users, fusion.query_dim, init_std) if own else None
        # training histories (CSR) for query="history", filled by prepare()
        self.register_buffer("hist_indptr", torch.zeros(n_users + 1, dtype=torch.long), persistent=False)
        self.register_buffer("hist_indices", torch.zeros(0, dtype=torch.long), persistent=False)
        self.user_id_emb = _embedding(n_users, dim, init_std) if item_id else None
        self.item_emb = _embedding(n_items, dim, init_std) if item_id else None
        self.item_bias = nn.Parameter(torch.zeros(n_items)) if item_bias else None

    # ----- item side ------------------------------------------------------------------------
    @property
    def fusion(self) -> Fusion:
        """The fusion module (it lives in the content tower, ``self.content.fusion``)."""
        return self.content.fusion

    @property
    def heads(self) -> nn.ModuleDict:
        """The per-modality projection heads (``self.content.heads``)."""
        return self.content.heads

    def item_mask(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """``(b, M)`` bool: which modalities each item has (``None``: all items, ``(n_items, M)``)."""
        return self.content.modality_masks(items)

    def modality_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """Projected per-modality vectors ``h_i^m``: ``(b, M, d)`` (``None``: ``(n_items, M, d)``).
        Rows of absent modalities are zero (the mask keeps them out of the fusion anyway)."""
        return self.content.tokens(items)[0]

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """Fused item vectors ``z_i`` ``(b, d)`` for fusions that do not depend on the user."""
        if self.needs_query or self.late:
            raise ValueError("this model's fused vector depends on the user (attention with a user query, or late "
                             "fusion); use full_scores / modality_scores")
        h = self.modality_vectors(items)
        return self.fusion(self._as_dict(h), self.item_mask(items))

    # ----- user side ------------------------------------------------------------------------
    def _user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """``(b, 1, d)``, or ``(b, M, d)`` for late fusion (one user vector per modality)."""
        return self.user_emb(users).view(len(users), -1, self.dim)

    def prepare(self, split: Split) -> None:
        """Store the training histories (for ``query="history"``)."""
        sets = split.sets(TRAIN)
        self.hist_indptr = sets.indptr.to(self.hist_indptr.device)
        self.hist_indices = sets.indices.to(self.hist_indptr.device)

    def history_profile(self, users: torch.Tensor, h_all: torch.Tensor | None = None) -> torch.Tensor:
        """Mean of the projected modality vectors over each user's training items:
        ``(b,) -> (b, M * d)`` (zeros for a user without history)."""
        h_all = self.modality_vectors() if h_all is None else h_all
        starts, ends = self.hist_indptr[users], self.hist_indptr[users + 1]
        lengths = ends - starts
        offsets = torch.cumsum(lengths, 0) - lengths
        flat = torch.arange(int(lengths.sum()), device=users.device) - torch.repeat_interleave(offsets, lengths)
        items = self.hist_indices[torch.repeat_interleave(starts, lengths) + flat]
        return F.embedding_bag(items, h_all.flatten(1), offsets, mode="mean")

    def _query(self, users: torch.Tensor, h_all: torch.Tensor | None = None) -> torch.Tensor | None:
        """The attention query ``(b, d_q)`` of each user, or ``None`` when the fusion takes none."""
        if not self.needs_query:
            return None
        if self.query_source == "embedding":
            return self.user_query(users)
        if self.query_source == "user":
            return self.user_emb(users)
        return self.history_profile(users, h_all)

    def _as_dict(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """``(..., M, d)`` -> ``{modality: (..., d)}``."""
        return dict(zip(self.modalities, h.unbind(dim=-2), strict=True))

    # ----- scores ---------------------------------------------------------------------------
    def modality_scores(self, users: torch.Tensor) -> torch.Tensor:
        """Per-modality content scores ``S_m[u, i] = ⟨p_u, h_i^m⟩``: ``(b,) -> (b, M, n_items)``."""
        p = self._user_vectors(users).expand(-1, len(self.modalities), -1)  # shared p_u, or p_u^m (late)
        return torch.einsum("bmd,nmd->bmn", p, self.modality_vectors())

    def base_scores(self, users: torch.Tensor) -> torch.Tensor:
        """The part of the score outside the fusion, ``⟨z'_u, q_v⟩ + b_v``: ``(b,) -> (b, n_items)``."""
        out = torch.zeros(len(users), self.n_items, device=users.device)
        if self.item_emb is not None:
            out = out + self.user_id_emb(users) @ self.item_emb.weight.T
        if self.item_bias is not None:
            out = out + self.item_bias[None, :]
        return out

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``."""
        if self.fusion.linear:
            scores = self.modality_scores(users)  # (b, M, n)
            w = self.modality_weights(users)  # (b or 1, n, M)
            content = (w.transpose(1, 2) * scores).sum(dim=1)
        else:
            content = self._user_vectors(users)[:, 0] @ self.item_vectors().T
        return content + self.base_scores(users)

    def modality_weights(self, users: torch.Tensor) -> torch.Tensor:
        """The fusion's weights for every item: ``(b, n_items, M)`` (``(1, n_items, M)`` when they
        do not depend on the user). Concatenation has none and raises."""
        h, mask = self.modality_vectors(), self.item_mask()
        query = self._query(users, h)
        w = self.fusion.weights(self._as_dict(h[None]), mask[None], None if query is None else query[:, None])
        if w is None:
            raise ValueError(f"{type(self.fusion).__name__} has no modality weights")
        return w

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``(b,), (b,) -> (b,)`` (in training mode, modality dropout applies)."""
        return self._pair_scores(users, items, None)

    def loss(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
        """BPR, :math:`-\\log \\sigma(s_u^{i^+} - s_u^{i^-})` averaged over the batch, plus ``reg`` times
        :meth:`regularizer`. When a batch touches more rows than the catalog has items, all items
        are projected once and indexed (much cheaper than projecting 2b raw feature rows)."""
        b = len(users)
        h_all = self.modality_vectors() if 2 * b >= self.n_items else None
        s = self._pair_scores(users.repeat(2), torch.cat([pos, neg]), h_all)
        s_neg, s_pos = s[b:], s[:b]  # sliced in this order, as the loss always did (same autograd graph)
        return self.with_regularizer(bpr_loss(s_pos, s_neg), reg, users, pos, neg)

    def _pair_scores(self, users: torch.Tensor, items: torch.Tensor, h_all: torch.Tensor | None) -> torch.Tensor:
        """Scores ``(b,)`` of pairs ``users`` ``(b,)``, ``items`` ``(b,)``; ``h_all`` ``(n_items, M, d)``:
        the projected vectors of all items when already computed (else only ``items`` are projected)."""
        if h_all is None and self.query_source == "history" and self.needs_query:
            h_all = self.modality_vectors()
        h = self.modality_vectors(items) if h_all is None else h_all[items]  # (b, M, d)
        mask = self.item_mask(items)
        p = self._user_vectors(users)
        if self.fusion.linear:
            w = self.fusion.weights(self._as_dict(h), mask, self._query(users, h_all))  # (b, M)
            s = (w * (p * h).sum(-1)).sum(-1)
        elif h_all is not None:  # item-only fusion: fuse each catalog item once, then index
            s = (p[:, 0] * self.fusion(self._as_dict(h_all), self.item_mask())[items]).sum(-1)
        else:
            s = (p[:, 0] * self.fusion(self._as_dict(h), mask)).sum(-1)
        if self.item_emb is not None:
            s = s + (self.user_id_emb(users) * self.item_emb(items)).sum(-1)
        if self.item_bias is not None:
            s = s + self.item_bias[items]
        return s

    def regularizer(self, users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Batch mean of the squared norms of the user vectors (and the ID factors touched): a scalar."""
        lookups = [(self.user_emb, users)]
        if self.user_query is not None:
            lookups.append((self.user_query, users))
        if self.item_emb is not None:
            lookups += [(self.user_id_emb, users), (self.item_emb, pos), (self.item_emb, neg)]
        return squared_norms(*lookups).mean()

    # ----- read-outs ------------------------------------------------------------------------
    @torch.no_grad()
    def user_modality_weights(self, users: torch.Tensor | None = None, batch_size: int = 1024) -> torch.Tensor:
        """How much each user leans on each modality: ``(b, M)``, the fusion weights averaged over
        the items that have every modality (so renormalisation does not blur the picture).
        For fusions without a user query all rows are equal."""
        users = torch.arange(self.n_users) if users is None else users
        return self.mean_modality_weights(torch.zeros(self.n_items, dtype=torch.long),
                                          torch.arange(len(users)), users, batch_size)[:, 0]

    @torch.no_grad()
    def mean_modality_weights(self, item_groups: torch.Tensor, user_groups: torch.Tensor | None = None,
                              users: torch.Tensor | None = None, batch_size: int = 256) -> torch.Tensor:
        """Fusion weights averaged within groups of users and groups of items.

        ``item_groups``: ``(n_items,)`` labels ``0..G_i-1``; ``user_groups``: ``(b,)`` labels
        ``0..G_u-1`` of ``users`` (default all users, one group). Returns ``(G_u, G_i, M)``, the
        mean over the user-item pairs of each cell, counting only items that have every modality.
        """
        was_training = self.training
        self.eval()
        device = self.user_emb.weight.device
        users = torch.arange(self.n_users, device=device) if users is None else users.to(device)
        user_groups = torch.zeros(len(users), dtype=torch.long) if user_groups is None else user_groups
        user_groups, item_groups = user_groups.to(device).long(), item_groups.to(device).long()
        full = self.item_mask().all(dim=-1)
        onehot = F.one_hot(item_groups, int(item_groups.max()) + 1).to(torch.float32) * full[:, None]  # (n, G_i)
        onehot = onehot / onehot.sum(0).clamp(min=1)  # column means over the full items of each group
        n_user_groups = int(user_groups.max()) + 1
        total = torch.zeros(n_user_groups, onehot.shape[1], len(self.modalities), device=device)
        for start in range(0, len(users), batch_size):
            batch = users[start:start + batch_size]
            w = self.modality_weights(batch).float().expand(len(batch), -1, -1)  # (b, n, M)
            total.index_add_(0, user_groups[start:start + batch_size], torch.einsum("bnm,ng->bgm", w, onehot))
        counts = torch.bincount(user_groups, minlength=n_user_groups).clamp(min=1).to(total.dtype)
        self.train(was_training)
        return total / counts[:, None, None]
