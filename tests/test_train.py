"""The one training loop: learns, early-stops on validation, restores the best state, checkpoints."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from mmrec_tutorial.data import random_split
from mmrec_tutorial.device import seed_everything
from mmrec_tutorial.models.base import Recommender
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.train import TrainConfig, fit, load_checkpoint, save_checkpoint


class TinyMF(Recommender):
    """Dot-product matrix factorisation, only for exercising the loop."""

    def __init__(self, n_users: int, n_items: int, d: int = 16) -> None:
        super().__init__(n_users, n_items)
        self.users, self.items = nn.Embedding(n_users, d), nn.Embedding(n_items, d)
        nn.init.normal_(self.users.weight, std=0.1), nn.init.normal_(self.items.weight, std=0.1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.users(users) @ self.items.weight.T


class Counts(Recommender):
    trainable = False

    def prepare(self, split) -> None:
        self.counts = torch.bincount(torch.tensor(split.train["item_idx"].to_numpy()), minlength=self.n_items).float()

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.counts.to(users.device).expand(len(users), -1)


@pytest.fixture(scope="module")
def planted():
    """Two blocks of users and items: block-0 users only use block-0 items, likewise block 1."""
    gen = torch.Generator().manual_seed(0)
    rows = []
    for u in range(80):
        block = u % 2
        items = torch.randperm(20, generator=gen)[:10] + 20 * block
        rows += [(u, int(i), t) for t, i in enumerate(items)]
    frame = pd.DataFrame(rows, columns=["user_idx", "item_idx", "timestamp"])
    return random_split(frame, 80, 40, seed=0)


def test_fit_learns_planted_structure_and_beats_popularity(planted):
    result = fit(TinyMF(80, 40), planted, TrainConfig(epochs=40, lr=0.05, batch_size=256, patience=40, progress=False))
    trained = evaluate_trained(result.model, planted, ks=(10,)).mean()
    popular = evaluate_trained(fit(Counts(80, 40), planted, TrainConfig(progress=False)).model, planted, ks=(10,)).mean()
    assert trained["recall@10"] > popular["recall@10"] + 0.15
    assert result.history["loss"].iloc[-1] < result.history["loss"].iloc[0]
    assert set(result.history.columns) >= {"epoch", "loss", "recall@20", "ndcg@20", "seconds"}


def test_evaluate_scores_where_the_model_lives(planted, monkeypatch):
    """A model trained on the CPU is evaluated on the CPU even where a GPU would be picked."""
    model = fit(TinyMF(80, 40), planted, TrainConfig(epochs=2, device="cpu", progress=False)).model

    def no_auto_device(*args, **kwargs):
        raise AssertionError("evaluate_trained(device=None) must follow the model, not pick a device")

    monkeypatch.setattr("mmrec_tutorial.train.pick_device", no_auto_device)
    assert evaluate_trained(model, planted, ks=(10,)).mean()["recall@10"] >= 0
    monkeypatch.undo()
    moved = evaluate_trained(model, planted, ks=(10,), device="cpu").mean()
    assert moved == evaluate_trained(model, planted, ks=(10,)).mean()


def test_best_state_is_restored_and_checkpoint_round_trips(planted, tmp_path):
    ckpt = tmp_path / "best.pt"
    cfg = TrainConfig(epochs=12, lr=0.05, batch_size=256, patience=3, progress=False, checkpoint=ckpt)
    result = fit(TinyMF(80, 40), planted, cfg)
    assert result.best_epoch >= 1 and len(result.history) <= 12
    best_row = result.history.set_index("epoch").loc[result.best_epoch]
    valid_now = evaluate_trained(result.model, planted, part=1, ks=(20,)).mean()["recall@20"]
    assert valid_now == pytest.approx(best_row["recall@20"], abs=1e-6)
    fresh = load_checkpoint(TinyMF(80, 40), ckpt)
    for (name, a), b in zip(result.model.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a.cpu(), b), name
    other = tmp_path / "again.pt"
    save_checkpoint(fresh, other)
    assert torch.equal(torch.load(other)["users.weight"], fresh.users.weight.detach())


def test_same_seed_same_model(planted):
    cfg = TrainConfig(epochs=3, lr=0.05, batch_size=128, progress=False, seed=4)
    seed_everything(4)
    a = fit(TinyMF(80, 40), planted, cfg)
    seed_everything(4)
    b = fit(TinyMF(80, 40), planted, cfg)
    assert torch.equal(a.model.items.weight, b.model.items.weight)
    assert a.history["loss"].tolist() == b.history["loss"].tolist()


def test_a_run_cut_by_the_epoch_cap_is_flagged(planted):
    """Two epochs of a model that is still learning: the cap ended training, not early stopping."""
    capped = fit(TinyMF(80, 40), planted, TrainConfig(epochs=2, lr=0.05, batch_size=256, patience=5, progress=False))
    assert not capped.stopped_early and len(capped.history) == 2
    # the planted structure is learned within a few epochs; patience 1 then ends training early
    done = fit(TinyMF(80, 40), planted, TrainConfig(epochs=200, lr=0.05, batch_size=256, patience=1, progress=False))
    assert done.stopped_early and len(done.history) < 200
    assert fit(Counts(80, 40), planted, TrainConfig(progress=False)).stopped_early  # nothing to train


def test_comparison_warns_about_models_cut_by_the_cap(planted):
    from mmrec_tutorial.evaluation import evaluate_models

    configs = {"short": TrainConfig(epochs=2, lr=0.05, batch_size=256, patience=5, progress=False),
               "counts": TrainConfig(progress=False)}
    comparison = evaluate_models({"short": lambda: TinyMF(80, 40), "counts": lambda: Counts(80, 40)}, planted,
                                 configs, n_boot=20, progress=False)
    assert comparison.capped() == ["short"]
    (note,) = comparison.cap_notes()
    assert note.startswith("short:") and "epoch cap (2 epochs)" in note
