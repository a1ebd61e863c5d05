"""Train/validation/test splits of the interactions, and per-user item sets for evaluation.

- ``random_split``: per user, a random 8:1:1 split (MMRec's ``x_label`` 0/1/2 convention).
- ``temporal_split``: per user, leave the last interaction for test and the one before for
  validation (for sequential models).
- ``cold_start_split``: hold out whole items: the interactions of some items go to
  validation and of others to test, so those items are unseen in training.
- ``with_cold_items``: the same hold-out on top of another split (warm and cold test items at once).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch

TRAIN, VALID, TEST = 0, 1, 2


class UserItemSets:
    """Per-user sets of item indices in compressed (CSR) form.

    ``indptr`` is ``(n_users + 1,)`` and ``indices`` is ``(nnz,)``; user ``u``'s items are
    ``indices[indptr[u]:indptr[u + 1]]``, sorted ascending and without repeats.
    """

    def __init__(self, users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> None:
        pairs = np.unique(np.stack([np.asarray(users, np.int64), np.asarray(items, np.int64)]), axis=1)
        if pairs.size and (pairs[0].min() < 0 or pairs[0].max() >= n_users or pairs[1].min() < 0
                           or pairs[1].max() >= n_items):
            raise ValueError(f"user or item index out of range (n_users={n_users}, n_items={n_items})")
        self.n_users, self.n_items = n_users, n_items
        self.indices = torch.from_numpy(pairs[1].copy())
        counts = np.bincount(pairs[0], minlength=n_users)
        self.indptr = torch.from_numpy(np.concatenate([[0], np.cumsum(counts)]))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, n_users: int, n_items: int) -> "UserItemSets":
        return cls(frame["user_idx"].to_numpy(), frame["item_idx"].to_numpy(), n_users, n_items)

    def counts(self) -> torch.Tensor:
        """Items per user, ``(n_users,)``."""
        return self.indptr[1:] - self.indptr[:-1]

    def items_of(self, user: int) -> torch.Tensor:
        return self.indices[self.indptr[user]:self.indptr[user + 1]]

    def users_with_items(self) -> torch.Tensor:
        """Indices of users that have at least one item, ``(n,)``."""
        return torch.nonzero(self.counts() > 0).flatten()

    def dense(self, users: torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
        """Bool matrix ``(len(users), n_items)``: True where the user has the item."""
        users = users.cpu()
        starts, ends = self.indptr[users], self.indptr[users + 1]
        lengths = ends - starts
        rows = torch.repeat_interleave(torch.arange(len(users)), lengths)
        offsets = torch.arange(int(lengths.sum())) - torch.repeat_interleave(torch.cumsum(lengths, 0) - lengths, lengths)
        cols = self.indices[torch.repeat_interleave(starts, lengths) + offsets]
        out = torch.zeros(len(users), self.n_items, dtype=torch.bool, device=device)
        out[rows.to(device), cols.to(device)] = True
        return out

    def __len__(self) -> int:
        return int(self.indices.numel())


@dataclasses.dataclass
class Split:
    """Interactions with an ``x_label`` column (0 train, 1 valid, 2 test) and handy views."""

    name: str
    interactions: pd.DataFrame
    n_users: int
    n_items: int
    cold_items: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def part(self, label: int) -> pd.DataFrame:
        return self.interactions[self.interactions["x_label"] == label]

    @property
    def train(self) -> pd.DataFrame:
        return self.part(TRAIN)

    @property
    def valid(self) -> pd.DataFrame:
        return self.part(VALID)

    @property
    def test(self) -> pd.DataFrame:
        return self.part(TEST)

    def sets(self, label: int) -> UserItemSets:
        """Per-user item sets of one part, e.g. ``split.sets(TRAIN)``."""
        return UserItemSets.from_frame(self.part(label), self.n_users, self.n_items)

    def trained_items(self) -> torch.Tensor:
        """``(n_items,)`` bool: True for the items with at least one training interaction (the
        warm items; the others exist only through their content)."""
        seen = torch.zeros(self.n_items, dtype=torch.bool)
        seen[torch.from_numpy(self.train["item_idx"].to_numpy(np.int64, copy=True))] = True
        return seen

    def sizes(self) -> dict[str, int]:
        counts = self.interactions["x_label"].value_counts()
        return {name: int(counts.get(k, 0)) for k, name in ((TRAIN, "train"), (VALID, "valid"), (TEST, "test"))}


def random_split(interactions: pd.DataFrame, n_users: int, n_items: int, ratios: tuple[float, float, float] =
                 (0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Per-user random split. Each user with at least 3 interactions gets at least one valid and
    one test interaction (``round(ratio * n)`` otherwise); users with fewer keep all for training."""
    if not np.isclose(sum(ratios), 1.0):
        raise ValueError(f"ratios must sum to 1, got {ratios}")
    rng = np.random.default_rng(seed)
    frame = interactions.reset_index(drop=True)
    order = rng.permutation(len(frame))
    shuffled = frame.iloc[order]
    position = shuffled.groupby("user_idx").cumcount().to_numpy()
    size = shuffled.groupby("user_idx")["user_idx"].transform("size").to_numpy()
    n_test = np.where(size >= 3, np.maximum(1, np.round(ratios[2] * size)), 0)
    n_valid = np.where(size >= 3, np.maximum(1, np.round(ratios[1] * size)), 0)
    label = np.where(position < n_test, TEST, np.where(position < n_test + n_valid, VALID, TRAIN))
    labels = np.empty(len(frame), dtype=np.int64)
    labels[order] = label
    return Split("random 8:1:1 per user", frame.assign(x_label=labels), n_users, n_items)


def temporal_split(interactions: pd.DataFrame, n_users: int, n_items: int) -> Split:
    """Leave-last-out by time: per user, last -> test, second last -> valid (users with >= 3)."""
    frame = interactions.sort_values(["user_idx", "timestamp"], kind="stable", ignore_index=True)
    from_end = frame.groupby("user_idx").cumcount(ascending=False).to_numpy()
    size = frame.groupby("user_idx")["user_idx"].transform("size").to_numpy()
    label = np.where(size < 3, TRAIN, np.where(from_end == 0, TEST, np.where(from_end == 1, VALID, TRAIN)))
    return Split("temporal leave-last-out", frame.assign(x_label=label), n_users, n_items)


def _held_out_items(item_idx: np.ndarray, cold_frac: float, seed: int,
                    at_least: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random ``cold_frac`` (at least ``at_least``) of the distinct items in ``item_idx``,
    halved: ``(valid_items, test_items)``."""
    rng = np.random.default_rng(seed)
    items = np.unique(item_idx)
    held = rng.choice(items, size=max(at_least, int(round(cold_frac * len(items)))), replace=False)
    return held[: len(held) // 2], held[len(held) // 2:]


def cold_start_split(interactions: pd.DataFrame, n_users: int, n_items: int, cold_frac: float = 0.2,
                     seed: int = 0) -> Split:
    """Hold out ``cold_frac`` of the interacted items: half of them for validation, half for test.

    All interactions of a held-out item leave training, so its ID embedding never learns; only
    its content can rank it. ``Split.cold_items`` lists the held-out test items.
    """
    valid_items, test_items = _held_out_items(interactions["item_idx"].to_numpy(), cold_frac, seed)
    item_label = np.zeros(n_items, dtype=np.int64)
    item_label[valid_items], item_label[test_items] = VALID, TEST
    frame = interactions.reset_index(drop=True)
    label = item_label[frame["item_idx"].to_numpy()]
    return Split(f"cold-start items ({cold_frac:.0%} of items held out)", frame.assign(x_label=label),
                 n_users, n_items, cold_items=np.sort(test_items))


def with_cold_items(split: Split, cold_frac: float = 0.1, seed: int = 0) -> Split:
    """Hold out whole items from training on top of ``split``: ``(n_items,)`` -> a new ``Split``.

    A random ``cold_frac`` of the items that have interactions lose all of them from training:
    the interactions of half of those items go to validation, of the other half to test (so that
    early stopping sees cold items too). ``Split.cold_items`` lists the test half. Unlike
    :func:`cold_start_split`, the other items keep their labels, so the split has warm and cold
    test items at once.
    """
    if not 0 < cold_frac < 1:
        raise ValueError(f"cold_frac must be in (0, 1), got {cold_frac}")
    frame = split.interactions
    item = frame["item_idx"].to_numpy()
    valid_items, test_items = _held_out_items(item, cold_frac, seed, at_least=2)
    label = frame["x_label"].to_numpy().copy()
    label[np.isin(item, valid_items)] = VALID
    label[np.isin(item, test_items)] = TEST
    return Split(f"{split.name} + {cold_frac:.0%} of items cold", frame.assign(x_label=label), split.n_users,
                 split.n_items, cold_items=np.sort(test_items))
