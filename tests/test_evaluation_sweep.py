"""The sweep helper: grid expansion, config vs model arguments, ranking on validation."""

from __future__ import annotations

import pytest

from mmrec_tutorial.data import random_split
from mmrec_tutorial.models import BPRMF
from mmrec_tutorial.evaluation import grid_points, sweep
from mmrec_tutorial.train import TrainConfig
from test_models import N_ITEMS, N_USERS, planted_interactions

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: small models run fastest on one thread


def test_grid_points_in_order():
    assert grid_points({"a": [1, 2], "b": [3]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]
    assert grid_points({}) == [{}]


def test_sweep_ranks_points_by_validation_and_routes_arguments():
    split = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    seen_dims = []

    def build(dim: int) -> BPRMF:
        seen_dims.append(dim)
        return BPRMF(N_USERS, N_ITEMS, dim=dim)

    table = sweep(build, split, {"lr": [1e-5, 0.02], "dim": [8]},
                  TrainConfig(epochs=8, batch_size=128, patience=8), progress=False)
    assert seen_dims == [8, 8]  # "dim" went to the model, "lr" to the config
    assert list(table["lr"]) == [0.02, 1e-5]  # a learning rate that learns beats one that barely moves
    assert table["valid_recall@20"].is_monotonic_decreasing
    assert {"best_epoch", "seconds", "valid_ndcg@20"} <= set(table.columns)
