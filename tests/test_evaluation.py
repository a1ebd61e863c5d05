"""The comparison table: warm/cold subsets, masking of the other subset, intervals, exports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.data import TEST, TRAIN, Split, random_split, temporal_split, with_cold_items
from mmrec_tutorial.evaluation import (TABLE_METRICS, evaluate_models, evaluate_subsets, evaluate_trained,
                                       subset_interactions)
from mmrec_tutorial.models import BPRMF, VBPR, ItemContent, Popularity, SASRec
from mmrec_tutorial.models.base import Recommender
from mmrec_tutorial.train import TrainConfig
from test_models import N_ITEMS, N_USERS, planted_content, planted_interactions, sequential_interactions

CFG = TrainConfig(epochs=25, lr=0.02, batch_size=128, patience=25, progress=False)


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: small models run fastest on one thread


@pytest.fixture(scope="module")
def split():
    return with_cold_items(random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0), cold_frac=0.25, seed=3)


@pytest.fixture(scope="module")
def comparison(split):
    """Three models trained once for the module (on one thread, like the conftest's one_thread)."""
    feats, masks = planted_content()
    models = {"popularity": lambda: Popularity(N_USERS, N_ITEMS), "bpr": lambda: BPRMF(N_USERS, N_ITEMS, dim=16),
              "vbpr": lambda: VBPR(N_USERS, N_ITEMS, ItemContent(ItemFeatures.from_tensors(feats, masks), dim=16), dim=16)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield evaluate_models(models, split, CFG, ks=(5, 10, 20), n_boot=200, device="cpu", progress=False)
    finally:
        torch.set_num_threads(threads)


def test_with_cold_items_holds_out_whole_items(split):
    base = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    assert len(split.interactions) == len(base.interactions)
    trained = set(split.train["item_idx"])
    assert len(split.cold_items) > 0 and not trained & set(split.cold_items)
    assert set(split.test["item_idx"]) & trained  # warm test items remain
    parts = subset_interactions(split)
    assert len(parts["warm"]) + len(parts["cold"]) == len(parts["all"]) == len(split.test)
    assert set(parts["cold"]["item_idx"]) <= set(split.cold_items)
    with pytest.raises(ValueError, match="cold_frac"):
        with_cold_items(base, cold_frac=1.5)


def test_table_has_a_row_per_model_and_subset_with_intervals(comparison):
    table = comparison.table
    assert list(table.index) == [(m, s) for m in ("popularity", "bpr", "vbpr") for s in ("all", "warm", "cold")]
    for metric in TABLE_METRICS:
        if metric.endswith("@10") or metric.endswith("@20") or metric == "auc":
            assert (table[f"{metric}_lo"] <= table[metric] + 1e-6).all()
            assert (table[metric] <= table[f"{metric}_hi"] + 1e-6).all()
    assert {"users", "coverage@20", "best_epoch", "train_seconds"} <= set(table.columns)
    assert table.loc[("popularity", "all"), "best_epoch"] == 0


def test_the_all_row_is_the_plain_full_ranking_protocol(comparison, split):
    plain = evaluate_trained(comparison.models["bpr"], split, ks=(5, 10, 20), device="cpu").mean()
    row = comparison.table.loc[("bpr", "all")]
    for metric in ("recall@20", "ndcg@10", "auc", "coverage@20"):
        assert row[metric] == pytest.approx(plain[metric], abs=1e-6)


def test_cold_rows_teach_the_lesson(comparison):
    table = comparison.table["recall@10"]
    assert table[("popularity", "cold")] == 0.0  # zero training counts rank last
    assert table[("vbpr", "cold")] > table[("bpr", "cold")] + 0.2
    assert table[("vbpr", "warm")] > table[("popularity", "warm")]


class Fixed(Recommender):
    """Scores from a fixed ``(n_users, n_items)`` matrix (for checking the evaluation itself)."""

    trainable = False

    def __init__(self, scores: torch.Tensor) -> None:
        super().__init__(*scores.shape)
        self.register_buffer("table", scores)

    def full_scores(self, users):
        return self.table[users]


def test_each_subset_masks_the_other_subsets_test_items():
    # user 0: train items 0, 1; test items 2 (warm: user 1 trained on it) and 3 (cold: nobody did)
    frame = pd.DataFrame({"user_idx": [0, 0, 0, 0, 1, 1], "item_idx": [0, 1, 2, 3, 2, 4],
                          "x_label": [TRAIN, TRAIN, TEST, TEST, TRAIN, TRAIN], "timestamp": 0})
    split = Split("hand-made", frame, 2, 6)
    scores = torch.tensor([[9.0, 8.0, 7.0, 6.0, 5.0, 0.0], [0.0] * 6])  # warm test item above cold one
    results = evaluate_subsets(Fixed(scores), split, ks=(1,), device="cpu")
    assert set(results) == {"all", "warm", "cold"}
    assert results["warm"].mean()["recall@1"] == 1.0
    assert results["cold"].mean()["recall@1"] == 1.0  # item 2 masked here, so item 3 is first
    assert results["all"].mean()["recall@1"] == 0.5


def test_sequence_models_rank_from_the_history_before_the_test_item():
    split = temporal_split(sequential_interactions(), N_USERS, N_ITEMS)
    cfg = TrainConfig(epochs=30, lr=0.01, batch_size=32, patience=30, max_len=10, progress=False)
    comp = evaluate_models({"sasrec": lambda: SASRec(N_USERS, N_ITEMS, dim=32, n_layers=1, max_len=10, dropout=0.0)},
                           split, cfg, ks=(5,), n_boot=50, device="cpu", progress=False)
    assert comp.table.loc[("sasrec", "all"), "recall@5"] > 0.9
    assert "cold" not in comp.table.loc["sasrec"].index  # no cold test item in this split: no row


def test_exports_and_determinism(comparison, split):
    md = comparison.to_markdown()
    assert md.splitlines()[0].startswith("| model | subset | users | recall@10 |")
    assert "| vbpr | cold |" in md and "Protocol:" in md
    data = json.loads(comparison.to_json())
    assert {row["model"] for row in data["rows"]} == {"popularity", "bpr", "vbpr"}
    assert data["split"] == split.name
    cell = comparison.formatted(("recall@20",)).loc[("vbpr", "warm"), "recall@20"]
    assert cell.count("[") == 1 and cell.startswith(f"{comparison.table.loc[('vbpr', 'warm'), 'recall@20']:.3f}")
    feats, masks = planted_content()
    again = evaluate_models({"vbpr": lambda: VBPR(N_USERS, N_ITEMS, ItemContent(ItemFeatures.from_tensors(feats, masks), dim=16), dim=16)},
                            split, CFG, ks=(5, 10, 20), n_boot=200, device="cpu", progress=False)
    numbers = [c for c in comparison.table.columns if c not in ("split", "train_seconds")]
    assert np.allclose(again.table.loc["vbpr", numbers].to_numpy(float),
                       comparison.table.loc["vbpr", numbers].to_numpy(float))
