"""Fusion of per-modality vectors into one: z = α·h_text + β·h_img + γ·h_audio and beyond.

Every module here has one interface::

    fusion(features, mask=None, query=None, return_weights=False) -> z          # (..., d)
                                                                   -> (z, w)     # w: (..., M) or None

* ``features``: a dict ``{modality: (..., d)}`` with one entry per modality of
  ``fusion.modalities`` (same shape for all; leading dimensions broadcast, so ``(batch, d)``
  for a batch of items, or ``(1, n_items, d)`` against a ``(b, 1, d_q)`` query for all items of
  ``b`` users at once),
* ``mask``: ``(..., M)`` bool, ``True`` where the modality is present (``None``: all present);
  a dict ``{modality: (...,)}`` works too (see :func:`stack_masks`),
* ``query``: ``(..., d_q)``, only for :class:`AttentionFusion` with ``query_dim`` (e.g. a user
  embedding, so that different users lean on different modalities),
* ``w``: the per-modality weights the module used, ``(..., M)``, summing to 1 over the present
  modalities (``None`` for concatenation, which has no such weights).

Missing modalities never leak in: weights are renormalised over the present ones
(:func:`renormalize`, :func:`masked_softmax`), concatenation zeroes them and appends the mask.
In training, ``modality_dropout=p`` hides each present modality with probability ``p`` (at least
one always stays), so that a model learns to cope with items that lack a modality.

Late fusion (:class:`LateFusion`) is the same weighted sum applied to *scores* instead of vectors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .data.modalities import MODALITIES

__all__ = ["MODALITIES", "FUSIONS", "FUSION_KINDS", "Fusion", "WeightedSumFusion", "LateFusion", "ConcatFusion",
           "GatedFusion", "AttentionFusion", "make_fusion", "stack_masks", "renormalize", "masked_softmax",
           "modality_dropout", "normalize_weights", "simplex_grid"]



# ---------------------------------------------------------------------------------------------
# Pure functions: masks and weights
# ---------------------------------------------------------------------------------------------

def stack_masks(masks: Mapping[str, torch.Tensor] | torch.Tensor | None, modalities: Sequence[str],
                like: torch.Tensor) -> torch.Tensor:
    """A ``(..., M)`` bool mask from a dict ``{modality: (...,)}``, a ready ``(..., M)`` tensor,
    or ``None`` (all present, shaped like ``like[..., 0]`` with ``M`` appended)."""
    if masks is None:
        return torch.ones(like.shape[:-1] + (len(modalities),), dtype=torch.bool, device=like.device)
    if isinstance(masks, Mapping):
        return torch.stack([masks[m].to(like.device, torch.bool) for m in modalities], dim=-1)
    if masks.shape[-1] != len(modalities):
        raise ValueError(f"mask has {masks.shape[-1]} columns, expected one per modality {tuple(modalities)}")
    return masks.to(like.device, torch.bool)


def renormalize(weights: torch.Tensor, mask: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Zero the weights of absent modalities and rescale the rest to sum to 1.

    ``weights`` ``(..., M)`` non-negative, ``mask`` ``(..., M)`` bool (they broadcast). Rows with
    no present modality get all-zero weights (the fused vector is then zero, not NaN).
    """
    w = weights * mask.to(weights.dtype)
    return w / w.sum(dim=-1, keepdim=True).clamp(min=eps)


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax over ``dim`` restricted to ``mask`` (bool; ``logits`` and ``mask`` broadcast, e.g.
    ``(..., M)`` each for modality weights, or ``(b, L, M)`` logits with a ``(b, L, 1)`` mask and
    ``dim=-2`` for attention over a history). Returns the broadcast shape.

    Absent entries get weight exactly 0; a slice with nothing present gets all zeros (not NaN).
    The one masked softmax of the package (:mod:`mmrec_tutorial.crossmodal.attention` uses it too).
    """
    logits, mask = torch.broadcast_tensors(logits, mask)
    filled = logits.masked_fill(~mask, float("-inf"))
    any_present = mask.any(dim=dim, keepdim=True)
    out = torch.softmax(filled.masked_fill(~any_present, 0.0), dim=dim)
    return out * mask.to(out.dtype)


def modality_dropout(mask: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Randomly hide present modalities: each ``True`` of ``mask`` ``(..., M)`` turns ``False``
    with probability ``p``, except that a row keeps at least one of its present modalities
    (a random one). Returns a new bool mask of the same shape."""
    if p <= 0:
        return mask
    if not 0 <= p < 1:
        raise ValueError(f"modality dropout probability must be in [0, 1), got {p}")
    draw = torch.rand(mask.shape, device=mask.device, generator=generator)
    kept = mask & (draw >= p)
    lost_all = mask.any(dim=-1, keepdim=True) & ~kept.any(dim=-1, keepdim=True)
    # for rows that lost everything, keep the present modality with the largest draw
    pick = F.one_hot(draw.masked_fill(~mask, -1.0).argmax(dim=-1), mask.shape[-1]).bool()
    return torch.where(lost_all, pick & mask, kept)


def normalize_weights(weights: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """``(M,)`` non-negative weights scaled to sum to 1, e.g. ``(2, 1, 1) -> (0.5, 0.25, 0.25)``."""
    w = (weights.detach().float() if isinstance(weights, torch.Tensor)
         else torch.tensor([float(x) for x in weights], dtype=torch.float32))
    if w.ndim != 1 or (w < 0).any() or not w.sum() > 0:
        raise ValueError(f"weights must be a non-negative vector with a positive sum, got {w.tolist()}")
    return w / w.sum()


def simplex_grid(step: float = 0.1, n: int = 3) -> torch.Tensor:
    """All points of the ``n``-simplex with coordinates on a ``step`` grid: ``(n_points, n)``,
    each row non-negative and summing to 1 (66 points for ``step=0.1``, ``n=3``)."""
    k = round(1 / step)
    if not math.isclose(k * step, 1.0):
        raise ValueError(f"1/step must be an integer, got step={step}")

    def compositions(total: int, parts: int) -> list[list[int]]:
        if parts == 1:
            return [[total]]
        return [[first] + rest for first in range(total, -1, -1) for rest in compositions(total - first, parts - 1)]

    return torch.tensor(compositions(k, n), dtype=torch.float32) / k


# ---------------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------------

class Fusion(nn.Module):
    """Base class: checks inputs, applies modality dropout in training, calls :meth:`fuse`.

    Subclasses implement ``fuse(h, mask, query) -> (z, w)`` on the stacked ``h`` ``(..., M, d)``
    and ``mask`` ``(..., M)``. ``linear`` is ``True`` for fusions whose output is a weighted sum
    of the inputs, ``z = Σ_m w_m h_m``: a model may then score with the weights alone
    (:meth:`weights`) instead of materialising ``z`` for every user-item pair.
    """

    linear: bool = False

    def __init__(self, modalities: Sequence[str] = MODALITIES, dim: int | None = None,
                 modality_dropout: float = 0.0) -> None:
        super().__init__()
        if len(set(modalities)) != len(modalities) or not modalities:
            raise ValueError(f"modalities must be distinct and non-empty, got {modalities}")
        self.modalities = tuple(modalities)
        self.dim = dim
        self.modality_dropout = modality_dropout

    def stack(self, features: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``{modality: (..., d)}`` -> ``(..., M, d)`` in the order of ``self.modalities``."""
        missing = [m for m in self.modalities if m not in features]
        if missing:
            raise KeyError(f"features lack modalities {missing}; got {sorted(features)}")
        tensors = torch.broadcast_tensors(*(features[m] for m in self.modalities))
        h = torch.stack(tensors, dim=-2)
        if self.dim is not None and h.shape[-1] != self.dim:
            raise ValueError(f"features have dimension {h.shape[-1]}, this fusion expects {self.dim}")
        return h

    def prepare_mask(self, mask: Mapping[str, torch.Tensor] | torch.Tensor | None, h: torch.Tensor) -> torch.Tensor:
        """The ``(..., M)`` mask, with modality dropout applied in training mode."""
        m = stack_masks(mask, self.modalities, h[..., 0, :])
        if self.training and self.modality_dropout > 0:
            m = modality_dropout(m.expand(h.shape[:-1]), self.modality_dropout)
        return m

    def forward(self, features: Mapping[str, torch.Tensor], mask: Mapping[str, torch.Tensor] | torch.Tensor | None = None,
                query: torch.Tensor | None = None, return_weights: bool = False):
        h = self.stack(features)
        z, w = self.fuse(h, self.prepare_mask(mask, h), query)
        return (z, w) if return_weights else z

    def fuse(self, h: torch.Tensor, mask: torch.Tensor, query: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``h`` ``(..., M, d)``, ``mask`` ``(..., M)`` -> ``z`` ``(..., d)`` and weights ``(..., M)`` or ``None``.
        Linear fusions implement :meth:`weights_from` instead."""
        w = self.weights_from(h, mask, query)
        return (w.unsqueeze(-1) * h).sum(dim=-2), w

    def weights_from(self, h: torch.Tensor, mask: torch.Tensor, query: torch.Tensor | None) -> torch.Tensor:
        """Linear fusions: the ``(..., M)`` weights for stacked ``h`` and a prepared mask."""
        raise NotImplementedError(f"{type(self).__name__} is not a weighted sum of its inputs")

    def weights(self, features: Mapping[str, torch.Tensor], mask: Mapping[str, torch.Tensor] | torch.Tensor | None = None,
                query: torch.Tensor | None = None) -> torch.Tensor | None:
        """The ``(..., M)`` modality weights (modality dropout applies in training mode).

        For ``linear`` fusions this never forms ``z``, so it is cheap even when ``features``
        ``(1, n_items, d)`` broadcast against a ``(b, 1, d_q)`` query.
        """
        h = self.stack(features)
        mask = self.prepare_mask(mask, h)
        if self.linear:
            return self.weights_from(h, mask, query)
        return self.fuse(h, mask, query)[1]


class WeightedSumFusion(Fusion):
    """``z = Σ_m w_m h_m`` with global weights: the seed formula z = α·h_text + β·h_img + γ·h_audio.

    ``weights`` (``(M,)``, non-negative) are normalised to sum to 1, so (α, β, γ) = (2, 1, 1)
    means (0.5, 0.25, 0.25). ``learnable=True`` makes them ``softmax(logits)`` with the logits
    trained (initialised at ``log(weights)``, uniform when ``weights`` is ``None``). For an item
    that lacks a modality the weights are renormalised over the present ones.

    ``random_mix=c > 0`` (training only) replaces the weights by a fresh draw from
    ``Dirichlet(c, …, c)`` for every example. A model trained so is valid at *every* point of the
    simplex, which is what lets a slider move (α, β, γ) after training without retraining.
    """

    linear = True

    def __init__(self, modalities: Sequence[str] = MODALITIES, dim: int | None = None,
                 weights: Sequence[float] | torch.Tensor | None = None, learnable: bool = False,
                 modality_dropout: float = 0.0, random_mix: float = 0.0) -> None:
        super().__init__(modalities, dim, modality_dropout)
        if random_mix < 0 or (random_mix and learnable):
            raise ValueError("random_mix must be >= 0 and cannot be combined with learnable weights")
        self.random_mix = random_mix
        w = normalize_weights(weights if weights is not None else [1.0] * len(self.modalities))
        if len(w) != len(self.modalities):
            raise ValueError(f"{len(w)} weights for {len(self.modalities)} modalities")
        self.learnable = learnable
        if learnable:
            self.logits = nn.Parameter(torch.log(w.clamp(min=1e-6)))
        else:
            self.register_buffer("fixed", w)

    def global_weights(self) -> torch.Tensor:
        """The ``(M,)`` weights before masking (summing to 1)."""
        return torch.softmax(self.logits, dim=0) if self.learnable else self.fixed

    def set_weights(self, weights: Sequence[float] | torch.Tensor) -> None:
        """Replace the weights (normalised); for learnable ones, the logits."""
        w = normalize_weights(weights).to(self.global_weights().device)
        with torch.no_grad():
            if self.learnable:
                self.logits.copy_(torch.log(w.clamp(min=1e-6)))
            else:
                self.fixed.copy_(w)

    def weights_from(self, h, mask, query):
        w = self.global_weights().to(h.dtype)
        if self.training and self.random_mix > 0:
            # a fresh mix per example, drawn from Dirichlet(random_mix, ..., random_mix)
            shape = torch.broadcast_shapes(mask.shape, h.shape[:-1])
            conc = torch.full(shape, float(self.random_mix), device=h.device)
            w = torch.distributions.Dirichlet(conc).sample().to(h.dtype)
        return renormalize(w, mask)


class LateFusion(WeightedSumFusion):
    """Score-level fusion: the same renormalised weighted sum, applied to per-modality *scores*.

    Each modality scores on its own (``s_m``, e.g. ``(..., 1)`` or ``(b, n_items)`` via
    :meth:`fuse_scores`), and ``s = Σ_m w_m s_m``. It is the baseline that feature-level fusion
    is compared with: it cannot model interactions between modalities.
    """

    def fuse_scores(self, scores: Mapping[str, torch.Tensor], mask: torch.Tensor | None = None) -> torch.Tensor:
        """``scores``: ``{modality: (b, n)}``; ``mask``: ``(n, M)`` per item or ``(b, n, M)``.
        Returns ``(b, n)``."""
        features = {m: s.unsqueeze(-1) for m, s in scores.items()}
        return self.forward(features, mask).squeeze(-1)


class ConcatFusion(Fusion):
    """Early fusion: ``z = MLP([h_1 ⊙ m_1; …; h_M ⊙ m_M; m])``.

    Absent modalities are zeroed and the mask bits are appended, so the MLP knows what is
    missing. ``hidden`` sets the width of the one hidden layer (default ``2 * dim``).
    """

    def __init__(self, modalities: Sequence[str] = MODALITIES, dim: int = 64, hidden: int | None = None,
                 dropout: float = 0.1, modality_dropout: float = 0.0) -> None:
        super().__init__(modalities, dim, modality_dropout)
        m = len(self.modalities)
        hidden = hidden or 2 * dim
        self.mlp = nn.Sequential(nn.Linear(m * dim + m, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim))

    def fuse(self, h, mask, query):
        mask = mask.expand(h.shape[:-1])
        x = (h * mask.unsqueeze(-1).to(h.dtype)).flatten(-2)
        return self.mlp(torch.cat([x, mask.to(h.dtype)], dim=-1)), None


class GatedFusion(Fusion):
    """Gated fusion with per-dimension sigmoid gates (a multimodal gated unit for M inputs).

    ``g_m = σ(W_m [h_1 ⊙ m_1; …; h_M ⊙ m_M] + b_m)`` is a ``(d,)`` gate per modality, computed
    from all inputs; the gates are renormalised per dimension over the present modalities,
    ``g̃_m = g_m m_m / Σ_k g_k m_k``, and ``z = Σ_m g̃_m ⊙ h_m``. The returned weights are
    ``g̃`` averaged over the dimensions, ``(..., M)``.
    """

    def __init__(self, modalities: Sequence[str] = MODALITIES, dim: int = 64, modality_dropout: float = 0.0) -> None:
        super().__init__(modalities, dim, modality_dropout)
        m = len(self.modalities)
        self.gate = nn.Linear(m * dim, m * dim)

    def fuse(self, h, mask, query):
        mask = mask.expand(h.shape[:-1])
        present = mask.unsqueeze(-1).to(h.dtype)  # (..., M, 1)
        gates = torch.sigmoid(self.gate((h * present).flatten(-2))).unflatten(-1, h.shape[-2:])  # (..., M, d)
        gates = gates * present
        gates = gates / gates.sum(dim=-2, keepdim=True).clamp(min=1e-12)
        return (gates * h).sum(dim=-2), gates.mean(dim=-1)


class AttentionFusion(Fusion):
    """Attention over modalities: ``w = softmax_m(q · k_m / √a)``, ``z = Σ_m w_m h_m``.

    Keys ``k_m = W_k h_m + e_m`` (``e_m`` a learned modality embedding; with
    ``item_aware=False`` just ``e_m``). The query is ``W_q query`` for a given ``(..., d_q)``
    query (``query_dim`` set, e.g. a user embedding: weights per user, or per user-item pair
    when ``item_aware``), else one learned vector (weights per item, from its inputs).
    Weights are a softmax over the present modalities only.

    ``logit_cap=c`` bounds the logits to ``(-c, c)`` with ``c·tanh(logit / c)``, so no modality
    weight can exceed ``e^{2c}`` times another's: it keeps the attention from collapsing onto
    one modality (which then stops learning the others) on small data.

    ``random_mix=c > 0`` (training only) rescales the weights by a random mix, one per example:
    ``w'_m = n · r_m · w_m`` with ``r ~ Dirichlet(c, …, c)`` over the ``n`` present modalities.
    Since ``E[n · r_m] = 1``, the training weights equal the attention's on average; but every
    modality must stay useful under any emphasis — the random-mixing regulariser of
    :class:`WeightedSumFusion` (which it equals for uniform weights), kept compatible with
    learned weights. The rescaled ``w'`` need not sum to 1; in evaluation ``w`` does.
    """

    linear = True

    def __init__(self, modalities: Sequence[str] = MODALITIES, dim: int = 64, query_dim: int | None = None,
                 attn_dim: int = 32, item_aware: bool = True, logit_cap: float | None = None,
                 modality_dropout: float = 0.0, random_mix: float = 0.0) -> None:
        super().__init__(modalities, dim, modality_dropout)
        if random_mix < 0:
            raise ValueError(f"random_mix must be >= 0, got {random_mix}")
        m = len(self.modalities)
        self.attn_dim, self.query_dim, self.item_aware = attn_dim, query_dim, item_aware
        self.logit_cap, self.random_mix = logit_cap, random_mix
        self.key = nn.Linear(dim, attn_dim, bias=False) if item_aware else None
        self.modality_embedding = nn.Parameter(torch.randn(m, attn_dim) * 0.1)
        if query_dim:
            self.query = nn.Linear(query_dim, attn_dim)
        else:
            self.global_query = nn.Parameter(torch.randn(attn_dim) * 0.1)

    def logits(self, h: torch.Tensor, query: torch.Tensor | None) -> torch.Tensor:
        """Unmasked attention logits ``(..., M)`` for ``h`` ``(..., M, d)`` and the query."""
        keys = self.modality_embedding if self.key is None else self.key(h) + self.modality_embedding
        if self.query_dim:
            if query is None:
                raise ValueError("this AttentionFusion needs a query (..., query_dim), e.g. a user embedding")
            q = self.query(query)
        else:
            q = self.global_query
        logits = torch.einsum("...ma,...a->...m", keys, q) / math.sqrt(self.attn_dim)
        if self.logit_cap:
            logits = self.logit_cap * torch.tanh(logits / self.logit_cap)
        return logits

    def weights_from(self, h, mask, query):
        w = masked_softmax(self.logits(h, query), mask)
        if self.training and self.random_mix > 0:
            conc = torch.full(w.shape, float(self.random_mix), device=w.device)
            r = renormalize(torch.distributions.Dirichlet(conc).sample().to(w.dtype), mask)
            w = r * mask.sum(dim=-1, keepdim=True).to(w.dtype) * w
        return w


#: Names accepted by :func:`make_fusion`.
#: Fusion kind -> ``build(modalities, dim, **kwargs)``. Adding a fusion is one class above and one entry here.
FUSIONS: dict[str, Callable[..., Fusion]] = {
    "sum": lambda modalities, dim, **kw: WeightedSumFusion(modalities, dim, learnable=False, **kw),
    "learned_sum": lambda modalities, dim, **kw: WeightedSumFusion(modalities, dim, learnable=True, **kw),
    "concat": ConcatFusion,
    "gated": GatedFusion,
    "attention": AttentionFusion,
    "late": lambda modalities, dim, **kw: LateFusion(modalities, None, learnable=True, **kw),
}
FUSION_KINDS: tuple[str, ...] = tuple(FUSIONS)


def make_fusion(kind: str, modalities: Sequence[str] = MODALITIES, dim: int = 64, **kwargs) -> Fusion:
    """Build a fusion module by name: ``"sum"`` (fixed weights, ``weights=``), ``"learned_sum"``,
    ``"concat"``, ``"gated"``, ``"attention"`` (``query_dim=``, ``item_aware=``) or ``"late"``."""
    if kind not in FUSIONS:
        raise ValueError(f"unknown fusion {kind!r}; choose one of {FUSION_KINDS}")
    return FUSIONS[kind](modalities, dim, **kwargs)
