"""Splits follow their definitions; datasets give valid triples and sequences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mmrec_tutorial.data import (TEST, TRAIN, VALID, BPRTriples, UserItemSets, UserSequences, cold_start_split,
                                 random_split, temporal_split)


@pytest.fixture(scope="module")
def inter(sample):
    return sample[0].interactions, sample[0].n_users, sample[0].n_items


def test_random_split_is_per_user_8_1_1_and_deterministic(inter):
    frame, nu, ni = inter
    split = random_split(frame, nu, ni, seed=1)
    again = random_split(frame, nu, ni, seed=1)
    assert split.interactions["x_label"].equals(again.interactions["x_label"])
    assert not split.interactions["x_label"].equals(random_split(frame, nu, ni, seed=2).interactions["x_label"])
    sizes = split.sizes()
    total = sum(sizes.values())
    assert total == len(frame)
    assert abs(sizes["train"] / total - 0.8) < 0.03 and abs(sizes["test"] / total - 0.1) < 0.02
    per_user = split.interactions.groupby("user_idx")["x_label"].agg(lambda s: set(s))
    assert all({TRAIN, VALID, TEST} <= labels for labels in per_user)  # every sample user has >= 8 interactions


def test_random_split_small_users_keep_everything_for_training():
    frame = pd.DataFrame({"user_idx": [0, 0, 1, 1, 1], "item_idx": [0, 1, 0, 1, 2], "timestamp": range(5)})
    split = random_split(frame, 2, 3, seed=0)
    assert set(split.interactions.query("user_idx == 0")["x_label"]) == {TRAIN}
    assert sorted(split.interactions.query("user_idx == 1")["x_label"]) == [TRAIN, VALID, TEST]
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(frame, 2, 3, ratios=(0.8, 0.1, 0.2))


def test_temporal_split_leaves_the_last_out(inter):
    frame, nu, ni = inter
    split = temporal_split(frame, nu, ni)
    last = frame.sort_values(["user_idx", "timestamp"], kind="stable").groupby("user_idx").tail(1)
    test = split.test.sort_values("user_idx")
    assert (test["item_idx"].to_numpy() == last.sort_values("user_idx")["item_idx"].to_numpy()).all()
    latest_train = split.train.groupby("user_idx")["timestamp"].max()
    assert (latest_train.loc[test["user_idx"]].to_numpy() <= test["timestamp"].to_numpy()).all()


def test_cold_start_split_holds_out_whole_items(inter):
    frame, nu, ni = inter
    split = cold_start_split(frame, nu, ni, cold_frac=0.2, seed=0)
    train_items = set(split.train["item_idx"])
    assert not train_items & set(split.cold_items)
    assert set(split.test["item_idx"]) == set(split.cold_items)
    assert not set(split.valid["item_idx"]) & train_items


def test_user_item_sets_dense_and_counts():
    sets = UserItemSets(np.array([0, 0, 2, 2, 2]), np.array([1, 1, 0, 3, 2]), n_users=3, n_items=4)
    assert sets.counts().tolist() == [1, 0, 3]
    assert sets.items_of(2).tolist() == [0, 2, 3]
    dense = sets.dense(torch.tensor([2, 0, 1]))
    assert dense.tolist() == [[True, False, True, True], [False, True, False, False], [False] * 4]
    assert sets.users_with_items().tolist() == [0, 2]
    with pytest.raises(ValueError, match="out of range"):
        UserItemSets(np.array([0]), np.array([4]), 1, 4)


def test_bpr_triples_negatives_are_never_known_positives(inter):
    frame, nu, ni = inter
    split = random_split(frame, nu, ni, seed=0)
    triples = BPRTriples(split.train, nu, ni, seed=0)
    known = set(zip(split.train["user_idx"], split.train["item_idx"]))
    for _ in range(2):
        assert not any((u, j) in known for u, j in zip(triples.users.tolist(), triples.neg.tolist()))
        triples.resample()
    batches = list(triples.batches(5000))
    assert sum(len(b[0]) for b in batches) == len(triples)
    u, p, n = triples[3]
    assert (int(u), int(p)) in known
    assert torch.equal(BPRTriples(split.train, nu, ni, seed=5).neg, BPRTriples(split.train, nu, ni, seed=5).neg)


def test_bpr_negatives_come_only_from_the_training_catalog(inter):
    frame, nu, ni = inter
    split = cold_start_split(frame, nu, ni, cold_frac=0.2, seed=0)
    triples = BPRTriples(split.train, nu, ni, seed=0)
    train_items = set(split.train["item_idx"].tolist())
    held_out = set(split.test["item_idx"].tolist()) - train_items
    assert held_out  # the split does hold items out
    for _ in range(3):
        assert set(triples.neg.tolist()) <= train_items
        triples.resample()


def test_bpr_triples_refuse_a_user_who_knows_every_training_item():
    train = pd.DataFrame({"user_idx": [0, 0, 1], "item_idx": [0, 1, 0]})
    with pytest.raises(ValueError, match="user index 0 has interacted with every training item"):
        BPRTriples(train, n_users=2, n_items=5)


def test_user_sequences_shift_and_pad():
    frame = pd.DataFrame({"user_idx": [0, 0, 0, 1, 1, 2], "item_idx": [5, 3, 7, 1, 2, 4],
                          "timestamp": [3, 1, 2, 1, 2, 1]})
    data = UserSequences(frame, n_users=3, max_len=4)
    assert len(data) == 2  # user 2 has a single item: nothing to predict
    inputs, targets = data[0]
    assert inputs.tolist() == [0, 0, 4, 8] and targets.tolist() == [0, 0, 8, 6]  # items 3,7,5 -> tokens 4,8,6
    assert data.history_matrix(torch.tensor([0, 2])).tolist() == [[0, 4, 8, 6], [0, 0, 0, 5]]
