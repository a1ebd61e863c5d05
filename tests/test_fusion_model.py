"""FusedRecommender: scoring paths agree, masks hold, it trains with train.fit, weights read out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.data import TEST, random_split
from mmrec_tutorial.fusion import FUSION_KINDS, WeightedSumFusion
from mmrec_tutorial.models.fused import FusedRecommender, standardize_features
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.train import TrainConfig, fit

N_USERS, N_ITEMS = 40, 30
DIMS = {"text": 12, "image": 20, "audio": 6}


def synthetic(seed: int = 0):
    """Items with one hidden class per modality, visible in that modality's features; each user
    likes one class of one modality (so content predicts interactions)."""
    rng = np.random.default_rng(seed)
    classes = {m: rng.integers(0, 3, N_ITEMS) for m in DIMS}
    feats = {}
    for m, d in DIMS.items():
        centers = rng.normal(size=(3, d)) * 3
        feats[m] = torch.tensor(centers[classes[m]] + rng.normal(size=(N_ITEMS, d)), dtype=torch.float32)
    masks = {m: torch.ones(N_ITEMS, dtype=torch.bool) for m in DIMS}
    masks["image"][:3] = False
    masks["audio"][3:5] = False
    rows = []
    names = list(DIMS)
    for u in range(N_USERS):
        m, c = names[u % 3], rng.integers(0, 3)
        liked = np.flatnonzero(classes[m] == c)
        for i in rng.choice(liked, size=min(8, len(liked)), replace=False):
            rows.append((u, int(i), int(rng.integers(0, 10**6))))
    inter = pd.DataFrame(rows, columns=["user_idx", "item_idx", "timestamp"])
    return feats, masks, random_split(inter, N_USERS, N_ITEMS, seed=seed)


def build(kind: str, feats, masks, **kwargs) -> FusedRecommender:
    torch.manual_seed(0)
    return FusedRecommender(N_USERS, N_ITEMS, ItemFeatures.from_tensors(feats, masks), fusion=kind, dim=8, **kwargs)


@pytest.mark.parametrize("kind", FUSION_KINDS)
def test_full_scores_agree_with_pairwise_scores(kind):
    feats, masks, split = synthetic()
    model = build(kind, feats, masks, item_id=True).eval()
    model.prepare(split)
    users = torch.arange(N_USERS)
    full = model.full_scores(users)
    assert full.shape == (N_USERS, N_ITEMS) and torch.isfinite(full).all()
    items = torch.randint(0, N_ITEMS, (N_USERS,), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(model.score(users, items), full[users, items], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["sum", "learned_sum", "attention", "late"])
def test_linear_scores_decompose_into_modality_scores(kind):
    feats, masks, _ = synthetic()
    model = build(kind, feats, masks).eval()
    users = torch.arange(5)
    s = model.modality_scores(users)  # (b, M, n)
    w = model.modality_weights(users)  # (b or 1, n, M)
    assert s.shape == (5, 3, N_ITEMS)
    recon = (w.transpose(1, 2) * s).sum(1) + model.base_scores(users)
    torch.testing.assert_close(recon, model.full_scores(users))


@pytest.mark.parametrize("kind", FUSION_KINDS)
def test_features_of_absent_modalities_do_not_matter(kind):
    feats, masks, split = synthetic()
    other = {m: f.clone() for m, f in feats.items()}
    other["image"][:3] = 1e3  # items 0-2 have no image
    a = build(kind, feats, masks).eval()
    b = build(kind, other, masks).eval()
    a.prepare(split), b.prepare(split)
    b.load_state_dict(a.state_dict())
    # standardisation uses present rows only, so the present rows are identical too
    torch.testing.assert_close(a.full_scores(torch.arange(N_USERS)), b.full_scores(torch.arange(N_USERS)))


def test_standardize_features_ignores_absent_rows():
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0], [100.0, 100.0]])
    out = standardize_features(x, torch.tensor([True, True, False]))
    torch.testing.assert_close(out, torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]]))


def test_trains_with_fit_and_learns_per_user_weights():
    feats, masks, split = synthetic()
    model = build("attention", feats, masks, fusion_kwargs={"item_aware": False})
    before = evaluate_trained(model, split, TEST, device="cpu").mean()["recall@10"]
    result = fit(model, split, TrainConfig(epochs=10, batch_size=128, lr=0.03, progress=False, device="cpu",
                                           patience=10))
    after = evaluate_trained(model, split, TEST, device="cpu").mean()["recall@10"]
    assert result.history["loss"].iloc[-1] < result.history["loss"].iloc[0]
    assert after > before + 0.1
    w = model.user_modality_weights()
    assert w.shape == (N_USERS, 3)
    torch.testing.assert_close(w.sum(1), torch.ones(N_USERS))
    assert (w.max(0).values - w.min(0).values > 0.05).any()  # users differ
    fixed = build("sum", feats, masks).user_modality_weights()
    torch.testing.assert_close(fixed, torch.full((N_USERS, 3), 1 / 3))


def test_mean_modality_weights_average_within_user_and_item_groups():
    feats, masks, _ = synthetic()
    model = build("attention", feats, masks, query="user").eval()
    users = torch.arange(N_USERS)
    user_groups, item_groups = users % 3, torch.arange(N_ITEMS) % 2
    table = model.mean_modality_weights(item_groups, user_groups)
    assert table.shape == (3, 2, 3)
    torch.testing.assert_close(table.sum(-1), torch.ones(3, 2))
    full = model.item_mask().all(-1)
    w = model.modality_weights(users)  # (users, items, M)
    expected = w[user_groups == 1][:, (item_groups == 0) & full].mean(dim=(0, 1))
    torch.testing.assert_close(table[1, 0], expected)
    torch.testing.assert_close(model.user_modality_weights()[5], w[5, full].mean(0))


def test_history_and_user_queries():
    feats, masks, split = synthetic()
    for query in ("history", "user"):
        model = build("attention", feats, masks, query=query).eval()
        model.prepare(split)
        assert model.user_query is None
        users = torch.arange(N_USERS)
        items = torch.arange(N_USERS) % N_ITEMS
        torch.testing.assert_close(model.score(users, items), model.full_scores(users)[users, items],
                                   atol=1e-5, rtol=1e-5)
    profile = model.history_profile(torch.tensor([0]))
    train_items = torch.tensor(split.train.query("user_idx == 0")["item_idx"].to_numpy().copy())
    torch.testing.assert_close(profile[0], model.modality_vectors(train_items).flatten(1).mean(0))
    with pytest.raises(ValueError):
        build("attention", feats, masks, query="weather")


def test_random_mix_is_training_only_and_valid():
    fusion = WeightedSumFusion(("a", "b"), 4, random_mix=1.0)
    x = {"a": torch.randn(50, 4), "b": torch.randn(50, 4)}
    mask = torch.ones(50, 2, dtype=torch.bool)
    mask[:10, 1] = False
    fusion.train()
    w = fusion.weights(x, mask)
    torch.testing.assert_close(w.sum(1), torch.ones(50))
    assert (w[:10, 1] == 0).all() and w[10:, 0].std() > 0.1
    fusion.eval()
    torch.testing.assert_close(fusion.weights(x, mask)[10:], torch.full((40, 2), 0.5))
    with pytest.raises(ValueError):
        WeightedSumFusion(("a", "b"), 4, learnable=True, random_mix=1.0)


def test_bad_inputs_are_reported():
    feats, masks, _ = synthetic()
    with pytest.raises(ValueError, match="n_items"):
        FusedRecommender(N_USERS, N_ITEMS + 1, ItemFeatures.from_tensors(feats, masks))
    with pytest.raises(ValueError):
        FusedRecommender(N_USERS, N_ITEMS, ItemFeatures.from_tensors({}))
    with pytest.raises(ValueError, match="depends on the user"):
        build("attention", feats, masks).item_vectors()
