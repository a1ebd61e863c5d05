"""Torch datasets over a split: BPR triples (user, positive, negative) and user sequences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .splits import UserItemSets


class BPRTriples(Dataset):
    """(user, positive item, sampled negative item) triples from training interactions.

    Negatives are drawn uniformly from the items that have training interactions (the training
    catalog, ``candidates``) and that the user has *not* interacted with in training. Items
    without training interactions (cold items, items held out by a cold-start split) are never
    negatives: a content model would otherwise learn to rank exactly the items it is later tested
    on low. ``resample()`` draws fresh ones (call it once per epoch). Items are ``(3,)`` long tensors;
    ``batches()`` yields whole ``(batch, )`` tensors fast without a DataLoader.
    """

    def __init__(self, train: pd.DataFrame, n_users: int, n_items: int, seed: int = 0) -> None:
        self.users = torch.tensor(train["user_idx"].to_numpy(), dtype=torch.long)
        self.pos = torch.tensor(train["item_idx"].to_numpy(), dtype=torch.long)
        self.n_items = n_items
        self.known = UserItemSets(self.users.numpy(), self.pos.numpy(), n_users, n_items)
        self._key = self.known.indices + self.n_items * torch.repeat_interleave(
            torch.arange(n_users), self.known.counts())  # sorted (user, item) codes
        self.candidates = torch.unique(self.pos)  # (n_train_items,) sorted
        full = torch.nonzero(self.known.counts() >= len(self.candidates)).flatten()
        if len(full):
            raise ValueError(f"user index {int(full[0])} has interacted with every training item, so no negative "
                             "can be drawn for it; drop such users or add items before training with BPR")
        self.generator = torch.Generator().manual_seed(seed)
        self.neg = torch.empty_like(self.pos)
        self.resample()

    def _is_known(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        code = users * self.n_items + items
        pos = torch.searchsorted(self._key, code).clamp(max=len(self._key) - 1)
        return self._key[pos] == code

    def resample(self) -> None:
        """Draw a new negative for every triple (rejection sampling, vectorised)."""
        todo = torch.arange(len(self.users))
        while len(todo):
            cand = self.candidates[torch.randint(0, len(self.candidates), (len(todo),), generator=self.generator)]
            self.neg[todo] = cand
            todo = todo[self._is_known(self.users[todo], cand)]

    def __len__(self) -> int:
        return len(self.users)

    def __getitem__(self, idx: int) -> torch.Tensor:
        return torch.stack([self.users[idx], self.pos[idx], self.neg[idx]])

    def batches(self, batch_size: int, shuffle: bool = True):
        """Yield ``(users, pos, neg)``, each ``(batch,)``, covering all triples once."""
        order = torch.randperm(len(self), generator=self.generator) if shuffle else torch.arange(len(self))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            yield self.users[idx], self.pos[idx], self.neg[idx]


class UserSequences(Dataset):
    """Each user's training history in time order, for next-item prediction (SASRec style).

    Item tokens are ``item_idx + 1`` (0 is padding). Item ``k`` is ``(inputs, targets)``, both
    ``(max_len,)``: inputs are the history left-padded, targets the same shifted by one step.
    """

    def __init__(self, train: pd.DataFrame, n_users: int, max_len: int = 50) -> None:
        frame = train.sort_values(["user_idx", "timestamp"], kind="stable")
        self.max_len = max_len
        self.histories: list[np.ndarray] = [np.zeros(0, np.int64)] * n_users
        for user, items in frame.groupby("user_idx")["item_idx"]:
            self.histories[int(user)] = items.to_numpy(np.int64) + 1
        self.users = [u for u in range(n_users) if len(self.histories[u]) >= 2]

    def __len__(self) -> int:
        return len(self.users)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        seq = self.histories[self.users[idx]][-(self.max_len + 1):]
        inputs, targets = np.zeros(self.max_len, np.int64), np.zeros(self.max_len, np.int64)
        inputs[self.max_len - (len(seq) - 1):] = seq[:-1]
        targets[self.max_len - (len(seq) - 1):] = seq[1:]
        return torch.from_numpy(inputs), torch.from_numpy(targets)

    def history_matrix(self, users: torch.Tensor) -> torch.Tensor:
        """Left-padded last ``max_len`` items of each user, ``(len(users), max_len)`` (for scoring)."""
        out = torch.zeros(len(users), self.max_len, dtype=torch.long)
        for row, u in enumerate(users.tolist()):
            seq = self.histories[u][-self.max_len:]
            if len(seq):
                out[row, self.max_len - len(seq):] = torch.from_numpy(seq)
        return out
