"""Ranking losses shared by the rankers.

- BPR (Rendle et al., 2009): for a user ``u``, an item ``i`` they interacted with and a sampled
  item ``j`` they did not, :math:`\\mathcal{L} = -\\log \\sigma(s_u^i - s_u^j)`; it asks only that
  the positive outrank the negative.
- Sampled softmax with in-batch negatives: every user in the batch treats its own positive as
  the right answer among all candidates of the batch (the other users' positives and all sampled
  negatives), :math:`\\mathcal{L} = -\\log \\frac{\\exp(s_u^i/\\tau)}{\\sum_{c \\in C} \\exp(s_u^c/\\tau)}`.
  A candidate that is the same item as the user's positive (an "accidental hit") is masked out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("bpr", "softmax")


def check_loss(name: str) -> str:
    """``name`` if it is one of :data:`LOSSES`; a ``ValueError`` otherwise."""
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {name!r}")
    return name


def bpr_loss(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    """Mean of :math:`-\\log\\sigma(s^+ - s^-)` over ``(b,)`` score pairs: a scalar.

    The one BPR implementation of the package (every ranker calls it). Softplus form,
    :math:`\\log(1 + e^{s^- - s^+})`, numerically stable for large score gaps.
    """
    return F.softplus(neg_scores - pos_scores).mean()


def sampled_softmax_loss(user_vecs: torch.Tensor, cand_vecs: torch.Tensor, cand_ids: torch.Tensor,
                         pos_ids: torch.Tensor, cand_bias: torch.Tensor | None = None,
                         temperature: float = 1.0) -> torch.Tensor:
    """In-batch sampled softmax.

    ``user_vecs`` ``(b, d)``; ``cand_vecs`` ``(c, d)`` with item ids ``cand_ids`` ``(c,)`` whose
    first ``b`` entries are the users' positives in order (row ``k``'s label is column ``k``);
    ``pos_ids`` ``(b,)``; ``cand_bias`` ``(c,)`` optional item biases. Returns the mean loss.
    """
    b = user_vecs.shape[0]
    logits = user_vecs @ cand_vecs.T
    if cand_bias is not None:
        logits = logits + cand_bias[None, :]
    logits = logits.float() / temperature
    hit = cand_ids[None, :] == pos_ids[:, None]  # (b, c): same item as the row's positive
    hit[torch.arange(b, device=hit.device), torch.arange(b, device=hit.device)] = False
    logits = logits.masked_fill(hit, float("-inf"))
    return F.cross_entropy(logits, torch.arange(b, device=logits.device))
