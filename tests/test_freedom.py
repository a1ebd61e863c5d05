"""The FREEDOM-style item-graph ranker: its two propagations, pruning while training, cold items, learning."""

from __future__ import annotations

import pytest
import torch

from mmrec_tutorial.data import cold_start_split, random_split
from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.models import BPRMF, FreedomRanker, Popularity
from mmrec_tutorial.models.graphs import fuse_item_graphs, knn_graph, normalized_adjacency
from mmrec_tutorial.train import TrainConfig, fit
from test_models import N_ITEMS, N_USERS, planted_content, planted_interactions

pytestmark = pytest.mark.usefixtures("one_thread")
CFG = dict(epochs=40, lr=0.02, batch_size=128, patience=40, progress=False, device="cpu")


def features() -> ItemFeatures:
    return ItemFeatures.from_tensors(*planted_content())


def model(**kw) -> FreedomRanker:
    torch.manual_seed(0)
    return FreedomRanker(N_USERS, N_ITEMS, features(), dim=8, k=3, **kw)


def test_scores_are_lightgcn_on_the_full_graph_plus_the_item_graph_part_and_unseen_items_borrow():
    split = cold_start_split(planted_interactions(), N_USERS, N_ITEMS, cold_frac=0.25, seed=1)
    ranker = model(modality_weights={"a": 2.0, "b": 1.0}, item_layers=2)
    ranker.prepare(split)
    ranker.eval()
    feats, masks = planted_content()
    s = fuse_item_graphs({m: knn_graph(feats[m], 3, masks[m]) for m in feats}, {"a": 2.0, "b": 1.0}).to_dense()
    train = split.train
    a = normalized_adjacency(train["user_idx"].to_numpy(), train["item_idx"].to_numpy(), N_USERS, N_ITEMS).to_dense()
    e0 = torch.cat([ranker.user_emb.weight, ranker.item_emb.weight])
    mean = (e0 + a @ e0 + a @ (a @ e0)) / 3
    seen = split.trained_items()[:, None]
    assert not seen.all()  # the cold items have no training interaction
    items = torch.where(seen, mean[N_USERS:], s @ mean[N_USERS:]) + s @ (s @ ranker.item_emb.weight)
    with torch.no_grad():
        assert torch.allclose(ranker.full_scores(torch.arange(N_USERS)), mean[:N_USERS] @ items.T, atol=1e-5)


def test_training_epochs_propagate_over_a_pruned_graph_and_scoring_over_the_full_one():
    split = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    ranker = model(keep=0.5)
    ranker.prepare(split)
    full_edges = ranker.adjacency._nnz()
    ranker.train()
    ranker.start_epoch()
    first = ranker.graph()
    assert first._nnz() == 2 * round(0.5 * full_edges / 2)  # both directions of the kept half
    ranker.start_epoch()
    assert not torch.equal(first.indices(), ranker.graph().indices())  # a new draw every epoch
    ranker.eval()
    assert ranker.graph() is ranker.adjacency
    unpruned = model(keep=1.0)
    unpruned.prepare(split)
    unpruned.train()
    unpruned.start_epoch()
    assert unpruned.graph() is unpruned.adjacency


def test_it_learns_the_planted_structure_and_ranks_cold_items_by_the_item_graph():
    warm = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    popular = evaluate_trained(fit(Popularity(N_USERS, N_ITEMS), warm, TrainConfig(progress=False)).model, warm,
                               ks=(5,)).mean()
    trained = evaluate_trained(fit(model(), warm, TrainConfig(**CFG)).model, warm, ks=(5,)).mean()
    assert trained["recall@5"] > popular["recall@5"] + 0.05, (trained, popular)
    cold = cold_start_split(planted_interactions(), N_USERS, N_ITEMS, cold_frac=0.25, seed=1)
    recall = {}
    for name, factory in (("freedom", model), ("bpr", lambda: BPRMF(N_USERS, N_ITEMS, dim=8))):
        recall[name] = evaluate_trained(fit(factory(), cold, TrainConfig(**CFG)).model, cold, ks=(5,)).mean()["recall@5"]
    assert recall["freedom"] > recall["bpr"] + 0.2, recall


def test_bad_content_fails_clearly():
    with pytest.raises(ValueError, match="items"):
        FreedomRanker(N_USERS, N_ITEMS + 1, features())
    with pytest.raises(ValueError, match="without a graph"):
        FreedomRanker(N_USERS, N_ITEMS, features(), modality_weights={"audio": 1.0})


def test_the_content_loss_is_added_only_when_weighted():
    split = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    users, pos, neg = torch.tensor([0, 1, 2]), torch.tensor([0, 12, 24]), torch.tensor([40, 30, 5])
    losses = {}
    for weight in (0.0, 0.5):
        ranker = model(content_weight=weight)
        ranker.prepare(split)
        assert (ranker.content is None) == (weight == 0)
        losses[weight] = float(ranker.loss(users, pos, neg).detach())
    assert losses[0.5] > losses[0.0]  # same initial embeddings (seeded), plus a positive BPR term
