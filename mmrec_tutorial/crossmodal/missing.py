"""Missing modalities, filled through the shared space: an item without a cover borrows its
aligned text (and audio) vector.

After contrastive alignment, :math:`P_{img}(h^{img}_v) \\approx P_{text}(h^{text}_v)` for the same
item, so the projected text is a stand-in for the missing projected image. Without alignment
the two heads map to unrelated directions and the stand-in is noise.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

__all__ = ["borrow_missing"]


def borrow_missing(tokens: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
                   targets: tuple[str, ...] | None = None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Fill each missing modality token with the mean of the item's present tokens (other modalities).

    ``tokens[m]``: ``(n, d)`` shared-space vectors, ``masks[m]``: ``(n,)`` bool. ``targets``: the
    modalities to fill (default: all). Returns new tokens and masks; a filled entry becomes
    present. Items with no other modality present stay missing.
    """
    names = list(tokens)
    targets = tuple(names) if targets is None else targets
    out_t = {m: t.clone() for m, t in tokens.items()}
    out_m = {m: k.clone().to(torch.bool) for m, k in masks.items()}
    for m in targets:
        others = [o for o in names if o != m]
        if not others:
            continue
        stacked = torch.stack([tokens[o] for o in others], dim=1)  # (n, M-1, d)
        present = torch.stack([masks[o].to(torch.bool) for o in others], dim=1)  # (n, M-1)
        count = present.sum(1)
        fill = (stacked * present[..., None]).sum(1) / count.clamp(min=1)[:, None]
        todo = ~masks[m].to(torch.bool) & (count > 0)
        out_t[m] = torch.where(todo[:, None], fill, out_t[m])
        out_m[m] = out_m[m] | todo
    return out_t, out_m
