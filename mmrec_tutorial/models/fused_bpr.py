"""BPR-MF's batch loss with its gradient written out: one fused step instead of an autograd graph.

For a batch of ``B`` triples (u, i, j), with :math:`x = \\langle p_u, q_i - q_j\\rangle + b_i - b_j`,

.. math::
    \\mathcal{L} = \\frac1B \\sum \\log(1 + e^{-x}) + \\frac{\\lambda}{B} \\sum
    \\left(\\lVert p_u\\rVert^2 + \\lVert q_i\\rVert^2 + \\lVert q_j\\rVert^2\\right),

the BPR loss and L2 penalty of :meth:`~.factor.FactorModel.loss`. Its gradient is short:
with :math:`g = -\\sigma(-x)/B`,

.. math::
    \\partial p_u = g\\,(q_i - q_j) + \\tfrac{2\\lambda}{B} p_u,\\quad
    \\partial q_i = g\\,p_u + \\tfrac{2\\lambda}{B} q_i,\\quad
    \\partial q_j = -g\\,p_u + \\tfrac{2\\lambda}{B} q_j,\\quad
    \\partial b_i = g,\\quad \\partial b_j = -g,

summed into the tables' rows (``index_add_``; the L2 part once per row, times the row's count). Autograd builds the same numbers (to rounding)
through a dozen small kernels per step; on a CPU, where BPR-MF's step is tiny, those kernels and
their bookkeeping are most of the training time. The optimiser and the training loop are
unchanged: this is only a faster ``loss(...).backward()``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


class _BPRMFLoss(torch.autograd.Function):
    """Forward: the loss (a scalar); backward: the closed-form gradients of the three tables.

    The L2 part of a row's gradient is the same for each of its occurrences in the batch, so it is
    added once per table row, scaled by the row's count, instead of once per occurrence.
    """

    @staticmethod
    def forward(ctx: Any, user_w: torch.Tensor, item_w: torch.Tensor, bias: torch.Tensor | None,
                users: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, reg: float) -> torch.Tensor:
        u, p, n = user_w.index_select(0, users), item_w.index_select(0, pos), item_w.index_select(0, neg)  # (B, d)
        diff = p - n
        x = (u * diff).sum(-1)  # (B,)
        if bias is not None:
            x = x + bias.index_select(0, pos) - bias.index_select(0, neg)
        loss = F.softplus(-x).mean()
        if reg:
            flat = [t.reshape(-1) for t in (u, p, n)]
            loss = loss + reg * sum(torch.dot(t, t) for t in flat) / len(users)
        ctx.save_for_backward(user_w, item_w, u, diff, x, users, pos, neg)
        ctx.reg, ctx.has_bias = reg, bias is not None
        return loss

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        user_w, item_w, u, diff, x, users, pos, neg = ctx.saved_tensors
        b = len(users)
        g = (-torch.sigmoid(-x) * (grad / b))[:, None]  # dL/dx, (B, 1)
        grad_user = torch.zeros_like(user_w).index_add_(0, users, g * diff)
        gu = g * u
        grad_item = torch.zeros_like(item_w).index_add_(0, pos, gu).index_add_(0, neg, gu, alpha=-1)
        if ctx.reg:
            decay = 2 * ctx.reg * grad / b
            user_count = torch.bincount(users, minlength=len(user_w)).to(user_w.dtype)
            item_count = (torch.bincount(pos, minlength=len(item_w)) + torch.bincount(neg, minlength=len(item_w))).to(item_w.dtype)
            grad_user.add_(user_w * (decay * user_count)[:, None])
            grad_item.add_(item_w * (decay * item_count)[:, None])
        grad_bias = None
        if ctx.has_bias:
            grad_bias = x.new_zeros(len(item_w)).index_add_(0, pos, g[:, 0]).index_add_(0, neg, g[:, 0], alpha=-1)
        return grad_user, grad_item, grad_bias, None, None, None, None


def bpr_mf_loss(user_w: torch.Tensor, item_w: torch.Tensor, bias: torch.Tensor | None, users: torch.Tensor,
                pos: torch.Tensor, neg: torch.Tensor, reg: float = 0.0) -> torch.Tensor:
    """The BPR-MF batch loss (module docstring) of tables ``user_w`` ``(n_users, d)``, ``item_w``
    ``(n_items, d)`` and ``bias`` ``(n_items,)`` (or ``None``) for ``(B,)`` users, positives and
    negatives, with the gradient computed in closed form: a scalar."""
    return _BPRMFLoss.apply(user_w, item_w, bias, users, pos, neg, reg)
