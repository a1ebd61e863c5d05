"""Contrastive alignment of modalities: symmetric InfoNCE with a learnable, bounded temperature.

For ``n`` items seen through two modalities, with projected and L2-normalised vectors
:math:`a_i, b_i` and inverse temperature :math:`s = 1/\\tau`, the logits are
:math:`\\ell_{ij} = s\\,\\langle a_i, b_j\\rangle` and the symmetric (CLIP-style) InfoNCE loss is

.. math::
    \\mathcal{L} = \\tfrac12\\Big[-\\tfrac1n\\sum_i \\log \\frac{e^{\\ell_{ii}}}{\\sum_j e^{\\ell_{ij}}}
                 -\\tfrac1n\\sum_i \\log \\frac{e^{\\ell_{ii}}}{\\sum_j e^{\\ell_{ji}}}\\Big]:

each item must pick its own partner among the batch, from both sides (:func:`cross_modal_info_nce`).
The negatives of a text vector are the other items' image vectors only, never other texts: this
is what tells it apart from the NT-Xent loss of audio self-supervision
(:func:`mmrec_tutorial.encoders.audio_ssl.nt_xent_loss`), which pools both views. ``s`` is learned as ``exp(log_scale)``, clamped to a range like CLIP
(which caps ``s`` at 100) so that the temperature can neither explode nor vanish.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LogitScale", "cross_modal_info_nce", "similarity_matrix", "modality_pairs", "pairwise_alignment_loss"]


class LogitScale(nn.Module):
    """A learnable inverse temperature :math:`s = 1/\\tau = \\exp(\\text{log\\_scale})`.

    ``forward()`` returns ``s`` (a 0-d tensor) with ``log_scale`` clamped to
    ``[log(1/max_temperature), log(1/min_temperature)]``: with the CLIP defaults, ``τ`` starts at
    0.07 and stays within ``[0.01, 1]`` (``s`` within ``[1, 100]``). The clamp is applied in the
    forward pass, so the bound holds whatever the optimiser does to the raw parameter.
    """

    def __init__(self, init_temperature: float = 0.07, min_temperature: float = 0.01,
                 max_temperature: float = 1.0, learnable: bool = True) -> None:
        super().__init__()
        if not 0 < min_temperature <= init_temperature <= max_temperature:
            raise ValueError(f"need 0 < min_temperature <= init_temperature <= max_temperature, got "
                             f"{min_temperature}, {init_temperature}, {max_temperature}")
        value = torch.tensor(math.log(1.0 / init_temperature))
        self.log_scale = nn.Parameter(value, requires_grad=learnable)
        self.min_log, self.max_log = math.log(1.0 / max_temperature), math.log(1.0 / min_temperature)

    def forward(self) -> torch.Tensor:
        """The inverse temperature ``s`` as a 0-d tensor, within its bounds."""
        return self.log_scale.clamp(self.min_log, self.max_log).exp()

    @property
    def temperature(self) -> float:
        """The current (clamped) temperature ``τ = 1/s``."""
        return float(1.0 / self.forward().detach())


def similarity_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine similarities of every row of ``a`` ``(n, d)`` with every row of ``b`` ``(m, d)``: ``(n, m)``."""
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T


def cross_modal_info_nce(a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor | float = 1 / 0.07,
                         symmetric: bool = True) -> torch.Tensor:
    """CLIP-style symmetric InfoNCE between paired rows of two modalities ``a`` and ``b`` (both
    ``(n, d)``; row ``i`` of one is the positive of row ``i`` of the other, the other ``n - 1``
    rows of the *other* modality its negatives). Vectors are L2-normalised here; the ``(n, n)``
    logits are ``logit_scale`` times their cosines.

    ``symmetric=False`` keeps only the ``a → b`` direction. Returns a scalar; ``n = 0`` gives 0.
    """
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a and b must both be (n, d) with the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[0] == 0:
        return a.sum() * 0.0
    logits = logit_scale * similarity_matrix(a, b)  # (n, n)
    labels = torch.arange(a.shape[0], device=a.device)
    loss = F.cross_entropy(logits, labels)
    if symmetric:
        loss = 0.5 * (loss + F.cross_entropy(logits.T, labels))
    return loss


def modality_pairs(modalities: Iterable[str]) -> list[tuple[str, str]]:
    """All unordered pairs, in order: ``["text", "image", "audio"]`` -> text-image, text-audio, image-audio."""
    return list(itertools.combinations(list(modalities), 2))


def pairwise_alignment_loss(tokens: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
                            pairs: Sequence[tuple[str, str]],
                            scales: Mapping[str, nn.Module] | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean of :func:`cross_modal_info_nce` over ``pairs`` of modalities.

    ``tokens[m]``: ``(n, d)`` projected vectors of the same ``n`` items; ``masks[m]``: ``(n,)`` bool,
    and only items that have *both* modalities of a pair enter that pair's loss. ``scales`` maps
    ``"a-b"`` to a :class:`LogitScale` (default: a fixed ``1/0.07``). Returns the loss and each
    pair's value (floats, for logging).
    """
    total, parts = None, {}
    for a, b in pairs:
        both = masks[a] & masks[b]
        scale = scales[f"{a}-{b}"]() if scales is not None else 1 / 0.07
        loss = cross_modal_info_nce(tokens[a][both], tokens[b][both], scale)
        parts[f"{a}-{b}"] = float(loss.detach())
        total = loss if total is None else total + loss
    if total is None:
        raise ValueError("pairs is empty: nothing to align")
    return total / len(pairs), parts
