"""Item content inside a ranker: raw per-modality features -> projected -> fused ``(n, d)`` vectors.

A content ranker holds the catalog's encoded features (text, image, audio, ... each
``(n_items, d_m)``) and their masks as non-persistent buffers (they are data, not learned; a
checkpoint stays small), projects each modality to a shared ``d`` with a
:class:`~mmrec_tutorial.encoders.base.ProjectionHead`, and fuses the present modalities with a
fusion module of the interface ``fusion(features: dict[str, (b, d)], mask: dict[str, (b,)]) -> (b, d)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from ..encoders.base import ProjectionHead
from ..fusion import WeightedSumFusion
from .fused import standardize_features


def default_fusion(modalities: list[str], dim: int) -> nn.Module:
    """The fusion a content ranker uses when none is given: the learnable weighted sum
    z = α·h_text + β·h_img + γ·h_audio (weights a softmax, renormalised over present modalities)."""
    return WeightedSumFusion(modalities, dim, learnable=True)


class ItemContent(nn.Module):
    """Fused content vector of items: ``forward(items (b,)) -> (b, dim)``; ``forward() -> (n_items, dim)``.

    ``features``: ``{modality: (n_items, d_m)}``, z-scored per column over the items that have the
    modality (``fused.standardize_features``: encoders differ wildly in scale); ``masks``:
    ``{modality: (n_items,)}`` bool (default: all present). ``fusion``: any module with the fusion interface (default:
    :func:`default_fusion`). ``hidden``: width of a hidden layer in each projection (None: linear).
    ``input_dropout``: dropout on the raw features while training, so that a projection cannot
    memorise items by a few feature columns (it regularises content models a lot on small catalogs).
    """

    def __init__(self, features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor] | None = None,
                 dim: int = 64, fusion: nn.Module | None = None, hidden: int | None = None,
                 dropout: float = 0.0, input_dropout: float = 0.0) -> None:
        super().__init__()
        if not features:
            raise ValueError("ItemContent needs at least one modality's features")
        sizes = {m: f.shape[0] for m, f in features.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"every modality needs one row per item; got row counts {sizes}")
        self.modalities = list(features)
        self.n_items, self.dim = next(iter(sizes.values())), dim
        for m, f in features.items():
            mask = (masks or {}).get(m)
            mask = torch.ones(f.shape[0], dtype=torch.bool) if mask is None else mask.to(torch.bool).cpu()
            if mask.shape != (f.shape[0],):
                raise ValueError(f"mask of {m!r} must be ({f.shape[0]},), got {tuple(mask.shape)}")
            self.register_buffer(f"feat_{m}", standardize_features(f.detach().cpu(), mask), persistent=False)
            self.register_buffer(f"mask_{m}", mask, persistent=False)
        self.heads = nn.ModuleDict({m: ProjectionHead(f.shape[1], dim, hidden=hidden, dropout=dropout)
                                    for m, f in features.items()})
        self.fusion = fusion if fusion is not None else default_fusion(self.modalities, dim)
        self.input_dropout = nn.Dropout(input_dropout)

    def mask(self, modality: str) -> torch.Tensor:
        """``(n_items,)`` bool: which items have ``modality``."""
        return getattr(self, f"mask_{modality}")

    def forward(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """``items`` ``(b,)`` long (None: all items) -> fused content ``(b, dim)``."""
        feats, masks = {}, {}
        for m in self.modalities:
            raw, mask = getattr(self, f"feat_{m}"), self.mask(m)
            if items is not None:
                raw, mask = raw[items], mask[items]
            feats[m] = self.heads[m](self.input_dropout(raw)) * mask[:, None]  # absent: zero, mask says so
            masks[m] = mask
        return self.fusion(feats, masks)
