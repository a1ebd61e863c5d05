"""The graph rankers' sparse graphs: kNN neighbours, fused modality graphs, degree-sensitive pruning."""

from __future__ import annotations

import pytest
import torch

from mmrec_tutorial.encoders.probes import nearest_neighbours
from mmrec_tutorial.models.graphs import fuse_item_graphs, knn_graph, prune_edges


def test_knn_graph_links_each_item_to_its_feature_space_neighbours_in_any_batch_size():
    features = torch.randn(37, 6, generator=torch.Generator().manual_seed(0))
    valid = torch.ones(37, dtype=torch.bool)
    valid[[3, 20]] = False
    expected = {i: set(nearest_neighbours(features, i, 4, valid)) for i in range(37) if valid[i]}  # dense reference
    for batch_size in (1, 5, 1024):
        graph = knn_graph(features, 4, valid, batch_size=batch_size).to_dense()
        for i in range(37):
            linked = set(torch.nonzero(graph[i]).flatten().tolist())
            assert linked == expected.get(i, set()), (batch_size, i)
        assert torch.allclose(graph[valid].sum(1), torch.ones(int(valid.sum())))  # a row averages its k
        assert graph[:, ~valid].abs().sum() == 0 and graph[~valid].abs().sum() == 0
        assert graph.diagonal().abs().sum() == 0


def test_knn_graph_caps_k_at_the_other_items():
    graph = knn_graph(torch.randn(3, 2), k=10).to_dense()
    assert (graph > 0).sum(1).tolist() == [2, 2, 2]


def test_fused_graph_mixes_with_the_weights_and_renormalises_missing_modalities():
    a = knn_graph(torch.randn(6, 3, generator=torch.Generator().manual_seed(1)), 2)
    mask = torch.tensor([True, True, True, True, True, False])
    b = knn_graph(torch.randn(6, 3, generator=torch.Generator().manual_seed(2)), 2, mask)
    fused = fuse_item_graphs({"a": a, "b": b}, {"a": 0.25, "b": 0.75}).to_dense()
    assert torch.allclose(fused.sum(1), torch.ones(6))
    assert torch.allclose(fused[:5], 0.25 * a.to_dense()[:5] + 0.75 * b.to_dense()[:5])
    assert torch.allclose(fused[5], a.to_dense()[5])  # item 5 lacks "b": its neighbours come from "a" alone
    assert torch.allclose(fuse_item_graphs({"a": a, "b": b}, {"a": 1.0, "b": 0.0}).to_dense(), a.to_dense())
    with pytest.raises(ValueError, match="not all 0"):
        fuse_item_graphs({"a": a}, {"a": 0.0})
    with pytest.raises(ValueError, match="without a graph"):
        fuse_item_graphs({"a": a}, {"c": 1.0})


def test_pruning_keeps_the_documented_share_and_drops_edges_between_hubs_first():
    # user 0 and item 0 are hubs (degree 6); edges 6-10 join users 1-5 to items 1-5, all of degree 1
    users = torch.tensor([0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    items = torch.tensor([0, 11, 12, 13, 14, 15, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0])
    gen = torch.Generator().manual_seed(0)
    kept = torch.zeros(len(users))
    for _ in range(2000):
        idx = prune_edges(users, items, 0.5, gen)
        assert len(idx) == 8 and len(set(idx.tolist())) == 8 and torch.equal(idx, idx.sort().values)
        kept[idx] += 1
    share = kept / 2000
    hub_hub, leaf_leaf = share[0], share[6:11].mean()  # edge 0 joins the two hubs
    assert hub_hub < 0.25 and leaf_leaf > 0.65, share  # uniform sampling would keep each half the time
    first = prune_edges(users, items, 0.5, torch.Generator().manual_seed(3))
    assert torch.equal(first, prune_edges(users, items, 0.5, torch.Generator().manual_seed(3)))
    assert torch.equal(prune_edges(users, items, 1.0, gen), torch.arange(len(users)))
    with pytest.raises(ValueError, match="keep"):
        prune_edges(users, items, 0.0, gen)
