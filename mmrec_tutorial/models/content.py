"""Item content inside a ranker: raw per-modality features -> projected -> fused ``(n, d)`` vectors.

:class:`ItemContent` is the package's one content tower; every content ranker (VBPR, deep MF,
SASRec, the fused two-tower model, the cross-modal ranker) holds one as ``content``. It keeps the
catalog's encoded features (text, image, audio, ... each ``(n_items, d_m)``) and their masks as
non-persistent buffers (they are data, not learned; a checkpoint stays small), projects each
modality to a shared ``d`` with a :class:`~mmrec_tutorial.encoders.base.ProjectionHead`, and fuses
the present modalities with a fusion module of the interface
``fusion(features: dict[str, (b, d)], mask: dict[str, (b,)] | (b, M)) -> (b, d)``.

Read-outs for rankers that need more than the fused vector: :meth:`ItemContent.token_dict` /
:meth:`ItemContent.tokens` (the projected per-modality vectors before fusion and their masks),
:meth:`ItemContent.feature` / :meth:`ItemContent.mask` (one modality's standardised features and
mask) and :meth:`ItemContent.replaced_modality` (temporarily remove or replace a modality).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import torch
from torch import nn

from ..data.modalities import ItemFeatures
from ..encoders.base import ProjectionHead
from ..fusion import WeightedSumFusion, make_fusion

__all__ = ["ItemContent", "default_fusion", "stack_tokens", "standardize_features"]


def standardize_features(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Z-score each column over the items that have the modality; absent rows become 0.

    ``(n_items, d_m), (n_items,) -> (n_items, d_m)``. Encoders differ wildly in scale
    (unit-norm sentence vectors vs. CNN activations); this puts them on equal footing.
    """
    features = features.float()
    present = features[mask] if bool(mask.any()) else features
    mean, std = present.mean(0), present.std(0, unbiased=False).clamp(min=1e-6)
    return torch.where(mask[:, None], (features - mean) / std, torch.zeros_like(features))


def default_fusion(modalities: list[str], dim: int) -> nn.Module:
    """The fusion a content ranker uses when none is given: the learnable weighted sum
    z = α·h_text + β·h_img + γ·h_audio (weights a softmax, renormalised over present modalities)."""
    return WeightedSumFusion(modalities, dim, learnable=True)


def stack_tokens(feats: Mapping[str, torch.Tensor],
                 masks: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``{m: (b, d)}`` and ``{m: (b,)}`` -> tokens ``(b, M, d)`` and mask ``(b, M)`` (dict order)."""
    return torch.stack(list(feats.values()), dim=-2), torch.stack(list(masks.values()), dim=-1)


def _checked_mask(modality: str, features: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The ``(n_items,)`` bool CPU mask of ``modality`` (default: all present), shapes checked."""
    if features.ndim != 2:
        raise ValueError(f"features of {modality!r} must be (n_items, d_m), got {tuple(features.shape)}")
    n = features.shape[0]
    mask = torch.ones(n, dtype=torch.bool) if mask is None else mask.to(torch.bool).cpu()
    if mask.shape != (n,):
        raise ValueError(f"mask of {modality!r} must be ({n},), got {tuple(mask.shape)}")
    return mask


class ItemContent(nn.Module):
    """Fused content vector of items: ``forward(items (b,)) -> (b, dim)``; ``forward() -> (n_items, dim)``.

    ``content``: the items' :class:`~mmrec_tutorial.data.modalities.ItemFeatures` (every modality's
    ``(n_items, d_m)`` features, z-scored here per column over the items that have the modality,
    :func:`standardize_features`: encoders differ wildly in scale; and its ``(n_items,)`` mask).
    ``fusion``: any module with the fusion
    interface, or a kind for :func:`~mmrec_tutorial.fusion.make_fusion` (``"attention"``, ...)
    built with ``fusion_kwargs`` after the projection heads (default: :func:`default_fusion`).
    ``hidden``: width of a hidden layer in each projection (None: linear); ``dropout``: inside it.
    ``input_dropout``: dropout on the raw features while training, so that a projection cannot
    memorise items by a few feature columns (it regularises content models a lot on small catalogs).
    """

    def __init__(self, content: ItemFeatures, dim: int = 64, fusion: nn.Module | str | None = None,
                 hidden: int | None = None, dropout: float = 0.0, input_dropout: float = 0.0,
                 fusion_kwargs: Mapping[str, object] | None = None) -> None:
        super().__init__()
        features, masks = content.features, content.masks
        if not features:
            raise ValueError("ItemContent needs at least one modality's features")
        sizes = {m: f.shape[0] for m, f in features.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"every modality needs one row per item; got row counts {sizes}")
        self.modalities = list(features)
        self.n_items, self.dim = next(iter(sizes.values())), dim
        for m, f in features.items():
            mask = _checked_mask(m, f, (masks or {}).get(m))
            self.register_buffer(f"feat_{m}", standardize_features(f.detach().cpu(), mask), persistent=False)
            self.register_buffer(f"mask_{m}", mask, persistent=False)
        self.heads = nn.ModuleDict({m: ProjectionHead(f.shape[1], dim, hidden=hidden, dropout=dropout)
                                    for m, f in features.items()})
        if isinstance(fusion, str):  # built here, after the heads (the order of initial random draws)
            fusion = make_fusion(fusion, self.modalities, dim, **dict(fusion_kwargs or {}))
        elif fusion_kwargs:
            raise ValueError("fusion_kwargs need a fusion kind (a string), not a module")
        self.fusion = fusion if fusion is not None else default_fusion(self.modalities, dim)
        self.input_dropout = nn.Dropout(input_dropout)

    def check_items(self, n_items: int) -> None:
        """Raise a ``ValueError`` unless the content has one row per item of a ranker of ``n_items``."""
        if self.n_items != n_items:
            raise ValueError(f"content has {self.n_items} items (rows), the model n_items={n_items}")

    def feature(self, modality: str) -> torch.Tensor:
        """``(n_items, d_m)``: the standardised features of ``modality`` (the stored buffer itself)."""
        return getattr(self, f"feat_{modality}")

    def mask(self, modality: str) -> torch.Tensor:
        """``(n_items,)`` bool: which items have ``modality`` (the stored buffer itself)."""
        return getattr(self, f"mask_{modality}")

    def modality_masks(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """``(b, M)`` bool: which modalities each of ``items`` ``(b,)`` has (None: ``(n_items, M)``)."""
        mask = torch.stack([self.mask(m) for m in self.modalities], dim=-1)
        return mask if items is None else mask[items]

    def token_dict(self, items: torch.Tensor | None = None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Projected modality vectors ``{m: (b, dim)}`` (zero where the item lacks ``m``) and masks
        ``{m: (b,)}`` of ``items`` ``(b,)`` (None: all items), before fusion."""
        feats, masks = {}, {}
        for m in self.modalities:
            raw, mask = self.feature(m), self.mask(m)
            if items is not None:
                raw, mask = raw[items], mask[items]
            feats[m] = self.heads[m](self.input_dropout(raw)) * mask[:, None]  # absent: zero, mask says so
            masks[m] = mask
        return feats, masks

    def tokens(self, items: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`token_dict` stacked: tokens ``(b, M, dim)`` and mask ``(b, M)`` (M in ``modalities`` order)."""
        return stack_tokens(*self.token_dict(items))

    def forward(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """``items`` ``(b,)`` long (None: all items) -> fused content ``(b, dim)``."""
        feats, masks = self.token_dict(items)
        return self.fusion(feats, masks)

    @contextlib.contextmanager
    def replaced_modality(self, modality: str, items: torch.Tensor,
                          rows: torch.Tensor | None = None) -> Iterator[None]:
        """Within the ``with`` block, ``items`` ``(k,)`` lose ``modality`` (``rows=None``: mask False, as
        if the file were missing) or get stand-in features ``rows`` ``(k, d_m)``, given in the
        standardised feature space (e.g. a mean of other items' rows). Restored afterwards: for
        "what if the cover were missing" experiments on a trained model."""
        mask, feat = self.mask(modality), self.feature(modality)
        items = items.to(mask.device)
        saved_mask, saved_feat = mask.clone(), feat[items].clone()
        if rows is None:
            mask[items] = False
        else:
            feat[items] = rows.to(feat.device, feat.dtype)
            mask[items] = True
        try:
            yield
        finally:
            mask.copy_(saved_mask)
            feat[items] = saved_feat
