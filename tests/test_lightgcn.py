"""LightGCN: the normalised graph, propagation against a dense reference, and learning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from mmrec_tutorial.data import random_split
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.models import LightGCN, Popularity
from mmrec_tutorial.models.graphs import normalized_adjacency
from mmrec_tutorial.train import TrainConfig, fit
from test_models import N_ITEMS, N_USERS, planted_interactions

USERS = np.array([0, 0, 1, 2, 2, 2, 0])  # the last pair repeats the first: counted once
ITEMS = np.array([0, 1, 1, 0, 2, 3, 0])


def test_normalized_adjacency_is_symmetric_with_inverse_sqrt_degrees():
    a = normalized_adjacency(USERS, ITEMS, 3, 5).to_dense()  # item 4 has no edge
    assert torch.allclose(a, a.T)
    degree = torch.tensor([2, 1, 3, 2, 2, 1, 1, 0], dtype=torch.float32)  # users 0-2, then items 0-4
    u0, i0 = 0, 3 + 0
    assert torch.isclose(a[u0, i0], 1 / torch.sqrt(degree[u0] * degree[i0]))
    assert a[:3, :3].abs().sum() == 0 and a[3:, 3:].abs().sum() == 0  # bipartite: no user-user edge
    assert a[-1].abs().sum() == 0  # isolated item: zero row


def test_propagation_equals_the_dense_layer_mean():
    torch.manual_seed(0)
    model = LightGCN(3, 5, dim=4, n_layers=2)
    frame = pd.DataFrame({"user_idx": USERS, "item_idx": ITEMS, "rating": 1.0, "timestamp": 0, "x_label": 0})
    model.prepare(type("S", (), {"train": frame})())
    users, items = model.propagate()
    a = normalized_adjacency(USERS, ITEMS, 3, 5).to_dense()
    e0 = torch.cat([model.user_emb.weight, model.item_emb.weight])
    reference = (e0 + a @ e0 + a @ (a @ e0)) / 3
    assert torch.allclose(torch.cat([users, items]), reference, atol=1e-6)
    assert torch.allclose(model.full_scores(torch.tensor([0, 2])), reference[[0, 2]] @ reference[3:].T, atol=1e-6)


def test_lightgcn_learns_the_planted_structure():
    split = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    cfg = TrainConfig(epochs=60, lr=0.02, batch_size=128, patience=60, progress=False)
    torch.manual_seed(0)
    trained = evaluate_trained(fit(LightGCN(N_USERS, N_ITEMS, dim=16), split, cfg).model, split, ks=(5,)).mean()
    popular = evaluate_trained(fit(Popularity(N_USERS, N_ITEMS), split, cfg).model, split, ks=(5,)).mean()
    assert trained["recall@5"] > popular["recall@5"] + 0.05
