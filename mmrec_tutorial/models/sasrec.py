"""A SASRec-style sequential ranker: causal self-attention over the user's history.

Kang & McAuley (2018). An item token is its ID embedding plus (optionally) its fused content
vector, :math:`\\mathbf{e}_i = \\mathbf{q}_i + \\mathbf{c}_i`; a position embedding is added and
a stack of Transformer layers with a causal mask (position t sees positions ≤ t only) turns
the history :math:`i_1..i_t` into a state :math:`\\mathbf{h}_t`. The score of the next item is
:math:`s_{t}^{v} = \\langle \\mathbf{h}_t, \\mathbf{e}_v \\rangle`. Training predicts, at every
position, the next item of the history: BPR against one sampled negative per position by default
(close to the original's binary cross-entropy with one negative), or a full softmax over the
catalog (``loss="softmax"``), which overfits faster on the small sample. Item tokens are ``item_idx + 1``; 0 is padding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .base import Recommender, history_matrix
from .content import ItemContent
from .losses import bpr_loss, check_loss

if TYPE_CHECKING:
    from ..data.splits import Split


class SASRec(Recommender):
    """See the module docstring. ``max_len`` is the longest history used (the most recent items).

    ``prepare(split)`` stores every user's last ``max_len`` training items (a persistent buffer,
    so a checkpoint restores a scoring-ready model); ``full_scores`` ranks from them. For the
    test of a leave-last-out split, ``set_history(train + valid)`` first, so that the history
    ends just before the test item (the usual protocol; ``evaluation.evaluate_models`` does it).
    """

    needs_sequences = True

    def __init__(self, n_users: int, n_items: int, content: ItemContent | None = None, dim: int = 64,
                 n_layers: int = 2, n_heads: int = 2, max_len: int = 50, dropout: float = 0.2,
                 loss: str = "bpr") -> None:
        super().__init__(n_users, n_items)
        self.loss_name = check_loss(loss)
        if content is not None:
            content.check_items(n_items)
        self.max_len, self.n_heads = max_len, n_heads
        self.content = content
        self.item_emb = nn.Embedding(n_items + 1, dim, padding_idx=0)
        nn.init.normal_(self.item_emb.weight[1:], std=dim ** -0.5)
        self.pos_emb = nn.Embedding(max_len, dim)
        nn.init.normal_(self.pos_emb.weight, std=0.02)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(dim, n_heads, dim_feedforward=2 * dim, dropout=dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.register_buffer("history", torch.zeros(n_users, max_len, dtype=torch.long))
        self.register_buffer("seen", torch.ones(n_items, dtype=torch.bool))

    def prepare(self, split: Split) -> None:
        """Store the training histories, and which items exist at training time (``seen``): only
        those compete in the training softmax or serve as negatives (see ``factor.FactorModel``)."""
        self.set_history(split.train)
        self.seen.copy_(split.trained_items().to(self.seen.device))

    def set_history(self, interactions: pd.DataFrame) -> None:
        """Use each user's last ``max_len`` items of ``interactions`` (by timestamp) as the history."""
        self.history.copy_(history_matrix(interactions, self.n_users, self.max_len))

    def token_table(self) -> torch.Tensor:
        """Embeddings of all tokens, ``(n_items + 1, dim)``; row 0 (padding) is zero."""
        table = self.item_emb.weight
        if self.content is not None:
            table = table + F.pad(self.content(), (0, 0, 1, 0))
        return table

    def encode(self, seqs: torch.Tensor, table: torch.Tensor | None = None) -> torch.Tensor:
        """Left-padded token sequences ``(b, L)`` -> states ``(b, L, dim)`` (state t has seen tokens ≤ t)."""
        b, length = seqs.shape
        if length > self.max_len:
            raise ValueError(f"sequences of length {length} exceed max_len={self.max_len}")
        table = self.token_table() if table is None else table
        x = table[seqs] * table.shape[1] ** 0.5 + self.pos_emb.weight[self.max_len - length:][None]
        x = self.dropout(x * (seqs > 0)[..., None])
        # One boolean mask (True = may not attend): future positions, and padding keys except the
        # query itself, so that no row is fully masked (which would give NaN).
        idx = torch.arange(length, device=seqs.device)
        future = idx[None, :] > idx[:, None]  # (L, L)
        pad_key = (seqs == 0)[:, None, :] & (idx[None, :] != idx[:, None])[None]  # (b, L, L)
        mask = (future[None] | pad_key).repeat_interleave(self.n_heads, dim=0)  # (b * heads, L, L)
        return self.norm(self.encoder(x, mask=mask))

    def sequence_loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Next-item loss over the non-padding positions of ``(b, L)`` inputs and targets (a scalar):
        softmax over the items seen in training, or BPR against one sampled seen negative each."""
        table = self.token_table()
        states = self.encode(inputs, table)[targets > 0]  # (n, dim)
        target_items = targets[targets > 0] - 1
        if self.loss_name == "softmax":
            logits = (states @ table[1:].T).float().masked_fill(~self.seen, float("-inf"))
            return F.cross_entropy(logits, target_items)
        seen_items = torch.nonzero(self.seen).flatten()
        negatives = seen_items[torch.randint(len(seen_items), target_items.shape, device=states.device)]
        pos = (states * table[target_items + 1]).sum(-1)
        neg = (states * table[negatives + 1]).sum(-1)
        return bpr_loss(pos, neg)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """``(b,) -> (b, n_items)``: the last state of each user's stored history against every item."""
        table = self.token_table()
        state = self.encode(self.history[users], table)[:, -1]
        return state @ table[1:].T
