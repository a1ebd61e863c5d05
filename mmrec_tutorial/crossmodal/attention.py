"""Bidirectional cross-attention between a user's history and a candidate item's modalities.

Tokens: the user's history ``H_u`` = ``L`` item vectors :math:`h_1..h_L` (padding masked) and the
candidate's modality tokens ``T_v`` = ``M`` vectors :math:`t_1..t_M` (text, image, audio;
missing ones masked). One affinity matrix serves both directions (co-attention):

.. math::
    A_{lm} = \\frac{\\langle W_h h_l,\\; W_t t_m \\rangle}{\\sqrt d}, \\qquad A \\in \\mathbb{R}^{L\\times M}

* user → item: each history item attends over the candidate's modalities,
  :math:`\\alpha_{l\\cdot} = \\mathrm{softmax}_m A_{l\\cdot}`, giving
  :math:`r^{u\\to v} = \\frac1L \\sum_l \\sum_m \\alpha_{lm} V_t t_m` (which modalities matter to this user);
* item → user: each modality of the candidate attends over the history,
  :math:`\\beta_{\\cdot m} = \\mathrm{softmax}_l A_{\\cdot m}`, giving
  :math:`r^{v\\to u} = \\frac1M \\sum_m \\sum_l \\beta_{lm} V_h h_l` (which past items this candidate recalls);
* :math:`c_{uv} = r^{u\\to v} + r^{v\\to u}`, and the δ-mix :math:`z_u' = \\delta z_u + (1-\\delta) c_{uv}`.

``c_uv`` is linear in the values, so :math:`\\langle c_{uv}, z_v\\rangle` needs only the pooled weights
:math:`\\bar\\alpha_m`, :math:`\\bar\\beta_l` and per-item / per-history dot products:
:meth:`BidirectionalCrossAttention.score_all` scores every item for a batch of users without
ever building the ``(users, items, d)`` tensor of all ``c_uv``.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from ..fusion import masked_softmax  # re-exported: the package's one masked softmax

__all__ = ["masked_softmax", "BidirectionalCrossAttention", "CrossAttentionOutput", "delta_mix", "DeltaMix"]


@dataclasses.dataclass
class CrossAttentionOutput:
    """``c``: ``(b, d)`` the cross-modal vectors c_uv; ``user_to_item``: ``(b, L, M)`` weights of
    each history item over the candidate's modalities (rows sum to 1); ``item_to_user``:
    ``(b, L, M)`` weights of each candidate modality over the history (columns sum to 1);
    ``modality_weights`` ``(b, M)`` = :math:`\\bar\\alpha` and ``history_weights`` ``(b, L)`` = :math:`\\bar\\beta`."""

    c: torch.Tensor
    user_to_item: torch.Tensor
    item_to_user: torch.Tensor
    modality_weights: torch.Tensor
    history_weights: torch.Tensor


class BidirectionalCrossAttention(nn.Module):
    """Co-attention of history tokens ``(b, L, d)`` and candidate modality tokens ``(b, M, d)``.

    See the module docstring for the equations. ``forward`` works on matched pairs (training,
    attention maps); ``score_all`` gives :math:`\\langle c_{uv}, \\text{targets}_v\\rangle` for every
    user × item in a batch of users (full ranking). Both have ``*_kv`` variants that take history
    keys and values already projected: the history items are items, so a ranker projects all
    items once (:meth:`project_history`) and gathers rows, instead of projecting ``b·L`` vectors.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.w_hist = nn.Linear(dim, dim, bias=False)
        self.w_tok = nn.Linear(dim, dim, bias=False)
        self.v_hist = nn.Linear(dim, dim, bias=False)
        self.v_tok = nn.Linear(dim, dim, bias=False)

    def project_history(self, vectors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys :math:`W_h h` and values :math:`V_h h` of history vectors ``(..., d)``."""
        return self.w_hist(vectors), self.v_hist(vectors)

    def forward(self, history: torch.Tensor, history_mask: torch.Tensor, tokens: torch.Tensor,
                token_mask: torch.Tensor) -> CrossAttentionOutput:
        """``history`` ``(b, L, d)``, ``history_mask`` ``(b, L)`` bool (False = padding), ``tokens``
        ``(b, M, d)``, ``token_mask`` ``(b, M)`` bool (False = modality missing)."""
        keys, values = self.project_history(history)
        return self.forward_kv(keys, values, history_mask, tokens, token_mask)

    def forward_kv(self, keys: torch.Tensor, values: torch.Tensor, history_mask: torch.Tensor,
                   tokens: torch.Tensor, token_mask: torch.Tensor) -> CrossAttentionOutput:
        """As ``forward``, with the history's keys and values ``(b, L, d)`` given."""
        affinity = torch.einsum("bld,bmd->blm", keys, self.w_tok(tokens)) / math.sqrt(self.dim)
        hm, tm = history_mask[:, :, None], token_mask[:, None, :]
        alpha = masked_softmax(affinity, tm, dim=-1) * hm  # over modalities; padding rows never count
        beta = masked_softmax(affinity, hm, dim=-2) * tm  # over history; missing modalities never count
        alpha_bar = alpha.sum(-2) / hm.float().sum(-2).clamp(min=1)  # (b, M)
        beta_bar = beta.sum(-1) / tm.float().sum(-1).clamp(min=1)  # (b, L)
        c = torch.einsum("bm,bmd->bd", alpha_bar, self.v_tok(tokens)) + torch.einsum("bl,bld->bd", beta_bar, values)
        return CrossAttentionOutput(c, alpha, beta, alpha_bar, beta_bar)

    def score_all(self, history: torch.Tensor, history_mask: torch.Tensor, tokens: torch.Tensor,
                  token_mask: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """:math:`\\langle c_{uv}, \\text{targets}_v\\rangle` for ``b`` users × ``n`` items: ``(b, n)``.

        ``history`` ``(b, L, d)``, ``history_mask`` ``(b, L)``; ``tokens`` ``(n, M, d)`` and
        ``token_mask`` ``(n, M)`` for *all* candidate items; ``targets`` ``(n, d)`` (usually z_v).
        Memory is ``O(b·L·n·M)`` (the affinities); no ``(b, n, d)`` tensor is built.
        """
        keys, values = self.project_history(history)
        return self.score_all_kv(keys, values, history_mask, tokens, token_mask, targets)

    def score_all_kv(self, keys: torch.Tensor, values: torch.Tensor, history_mask: torch.Tensor,
                     tokens: torch.Tensor, token_mask: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """As ``score_all``, with the history's keys and values ``(b, L, d)`` given."""
        alpha_bar, beta_bar = self.pooled_weights_all(keys, history_mask, tokens, token_mask)
        tok_dot = torch.einsum("nmd,nd->nm", self.v_tok(tokens), targets)  # (n, M): <V_t t_m^v, z_v>
        hist_dot = torch.matmul(targets, values.transpose(1, 2))  # (b, n, L): <V_h h_l, z_v>
        return (alpha_bar * tok_dot[None]).sum(-1) + (beta_bar * hist_dot).sum(-1)

    def context_all_kv(self, keys: torch.Tensor, values: torch.Tensor, history_mask: torch.Tensor,
                       tokens: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        """Every :math:`c_{uv}` of ``b`` users × ``n`` items: ``(b, n, d)`` (inputs as ``score_all_kv``).

        For rankers that do not score by an inner product with c_uv (an MLP or a Transformer over
        :math:`z_u'`), so they need the vectors themselves; memory is ``O(b·n·(L·M + d))``.
        """
        alpha_bar, beta_bar = self.pooled_weights_all(keys, history_mask, tokens, token_mask)
        from_tokens = torch.einsum("bnm,nmd->bnd", alpha_bar, self.v_tok(tokens))  # r^{u->v}
        return from_tokens + torch.matmul(beta_bar, values)  # + r^{v->u}: (b, n, L) @ (b, L, d)

    def pooled_weights_all(self, keys: torch.Tensor, history_mask: torch.Tensor, tokens: torch.Tensor,
                           token_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The pooled weights of every user × item pair: ᾱ ``(b, n, M)`` over each candidate's
        modalities and β̄ ``(b, n, L)`` over each user's history (history keys ``(b, L, d)``, mask
        ``(b, L)``; all items' tokens ``(n, M, d)`` and mask ``(n, M)``)."""
        b, L, d = keys.shape
        keys_t = self.w_tok(tokens)  # (n, M, d)
        n, M, _ = keys_t.shape
        # layout (b, n, M, L): the softmax over the history runs along contiguous memory
        affinity = torch.matmul(keys_t.reshape(n * M, d), keys.transpose(1, 2)).reshape(b, n, M, L) / math.sqrt(d)
        hm = history_mask.to(affinity.dtype)  # (b, L)
        tm = token_mask.to(affinity.dtype)  # (n, M)
        # masks as additive biases (0 / -inf) so that one softmax kernel does the work; a slice with
        # nothing to attend to gets bias 0 everywhere and is zeroed by the mask afterwards
        tok_bias = torch.zeros_like(tm).masked_fill(~token_mask & token_mask.any(-1, keepdim=True), float("-inf"))
        hist_bias = torch.zeros_like(hm).masked_fill(~history_mask & history_mask.any(-1, keepdim=True), float("-inf"))
        n_hist = hm.sum(-1).clamp(min=1)  # (b,)
        n_tok = tm.sum(-1).clamp(min=1)  # (n,)
        # user -> item: softmax over modalities, mean over real history rows: ᾱ (b, n, M)
        alpha = torch.softmax(affinity + tok_bias[None, :, :, None], dim=2)
        alpha_bar = torch.matmul(alpha, (hm / n_hist[:, None])[:, None, :, None]).squeeze(-1) * tm
        del alpha
        # item -> user: softmax over history, mean over present modalities: β̄ (b, n, L)
        beta = torch.softmax(affinity + hist_bias[:, None, None, :], dim=-1)
        del affinity
        beta_bar = torch.matmul((tm / n_tok[:, None])[None, :, None, :], beta).squeeze(2) * hm[:, None, :]
        return alpha_bar, beta_bar


class DeltaMix(nn.Module):
    """:math:`z_u' = \\delta z_u + (1-\\delta) c_{uv}` with δ fixed or learned.

    A learned δ is ``sigmoid(logit)`` so it stays in (0, 1); ``value`` reads it, ``set`` fixes it.
    """

    def __init__(self, delta: float = 0.5, learnable: bool = True) -> None:
        super().__init__()
        if not 0.0 <= delta <= 1.0:
            raise ValueError(f"delta must be in [0, 1], got {delta}")
        d = min(max(delta, 1e-4), 1 - 1e-4)
        self.logit = nn.Parameter(torch.tensor(math.log(d / (1 - d))), requires_grad=learnable)
        self.fixed: float | None = None if learnable else delta

    @property
    def value(self) -> torch.Tensor:
        """δ as a 0-d tensor."""
        if self.fixed is not None:
            return torch.tensor(self.fixed, device=self.logit.device)
        return torch.sigmoid(self.logit)

    def set(self, delta: float) -> None:
        """Fix δ (no longer learned)."""
        if not 0.0 <= delta <= 1.0:
            raise ValueError(f"delta must be in [0, 1], got {delta}")
        self.fixed = float(delta)
        self.logit.requires_grad_(False)

    def forward(self, z_u: torch.Tensor, c_uv: torch.Tensor) -> torch.Tensor:
        """``z_u``, ``c_uv``: ``(b, d)`` -> ``(b, d)``."""
        return delta_mix(z_u, c_uv, self.value)


def delta_mix(z_u: torch.Tensor, c_uv: torch.Tensor, delta: float | torch.Tensor) -> torch.Tensor:
    """:math:`\\delta z_u + (1-\\delta) c_{uv}` (shapes broadcast; usually ``(b, d)``)."""
    return delta * z_u + (1 - delta) * c_uv
