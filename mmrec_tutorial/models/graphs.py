"""The sparse graphs of the graph rankers: the user–item graph, item–item kNN graphs, edge pruning.

- :func:`normalized_adjacency`: :math:`\\hat A = D^{-1/2} A D^{-1/2}` of the bipartite user–item
  graph (LightGCN's propagation matrix).
- :func:`knn_graph`: one modality's item–item graph, each item linked to its ``k`` most
  cosine-similar items, searched batch by batch so that the ``(n_items, n_items)`` similarity
  matrix never exists: peak memory :math:`O(b \\cdot n + n \\cdot k)` for batch size ``b``, time
  :math:`O(n^2 d)`.
- :func:`fuse_item_graphs`: the modality graphs mixed with weights (the course's α, β, γ):
  :math:`S = \\sum_m w_m S_m`, each row renormalised over the modalities the item has.
- :func:`edge_agreement`: how much of a graph's weight links items that share a label.
- :func:`prune_edges`: degree-sensitive edge pruning (FREEDOM): a random subset of the user–item
  edges, an edge kept with probability decreasing in :math:`\\sqrt{d_u d_i}`.

All of them return torch sparse COO tensors (or index arrays) and use no graph library.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from ..encoders.probes import knn_indices


def _sparse(rows: np.ndarray | torch.Tensor, cols: np.ndarray | torch.Tensor, values: np.ndarray | torch.Tensor,
            n: int) -> torch.Tensor:
    """A coalesced float32 ``(n, n)`` COO tensor from index and value arrays."""
    index = torch.stack([torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)])
    return torch.sparse_coo_tensor(index, torch.as_tensor(values).float(), (n, n), check_invariants=False).coalesce()


def normalized_adjacency(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> torch.Tensor:
    """:math:`D^{-1/2} A D^{-1/2}` of the bipartite graph of ``(user, item)`` pairs: a sparse
    ``(n_users + n_items, n_users + n_items)`` tensor (users first). Repeated pairs count once;
    isolated nodes keep zero rows."""
    pairs = np.unique(np.stack([np.asarray(users, np.int64), np.asarray(items, np.int64)]), axis=1)
    rows = np.concatenate([pairs[0], n_users + pairs[1]])
    cols = np.concatenate([n_users + pairs[1], pairs[0]])
    n = n_users + n_items
    degree = np.bincount(rows, minlength=n).astype(np.float64)
    inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1)), 0.0)
    return _sparse(rows, cols, inv_sqrt[rows] * inv_sqrt[cols], n)


def knn_graph(features: torch.Tensor, k: int, mask: torch.Tensor | None = None, batch_size: int = 1024) -> torch.Tensor:
    """Item–item kNN graph of one modality: ``features`` ``(n, d)`` -> sparse ``(n, n)``.

    Row ``v`` links item ``v`` to its ``k`` nearest other items by cosine similarity of the centred
    features (:func:`~mmrec_tutorial.encoders.probes.knn_indices`, the course's one kNN search),
    each with weight ``1 / k``: a row averages its neighbours. Items outside ``mask`` ``(n,)``
    (without the modality) have an empty row and are nobody's neighbour.
    """
    n = len(features)
    items, neighbours = knn_indices(features, k, mask, batch_size)
    if neighbours.numel() == 0:
        return _sparse(torch.zeros(0), torch.zeros(0), torch.zeros(0), n)
    rows = items[:, None].expand_as(neighbours).reshape(-1)
    return _sparse(rows, neighbours.reshape(-1), torch.full((len(rows),), 1.0 / neighbours.shape[1]), n)


def fuse_item_graphs(graphs: Mapping[str, torch.Tensor], weights: Mapping[str, float] | None = None) -> torch.Tensor:
    """:math:`S = \\sum_m w_m S_m` over the modality graphs ``{m: (n, n)}`` (``weights`` default:
    equal), then each row divided by its sum, so that an item missing a modality takes its
    neighbours from the modalities it has (the same renormalisation as the fusion's weights).
    Weights must be non-negative and must not all be zero."""
    weights = {m: 1.0 for m in graphs} if weights is None else dict(weights)
    unknown = set(weights) - set(graphs)
    if unknown:
        raise ValueError(f"weights for modalities without a graph: {sorted(unknown)}; graphs: {list(graphs)}")
    if any(w < 0 for w in weights.values()) or not any(weights.get(m, 0.0) > 0 for m in graphs):
        raise ValueError(f"modality weights must be >= 0 and not all 0, got {weights}")
    n = next(iter(graphs.values())).shape[0]
    total = _sparse(torch.zeros(0), torch.zeros(0), torch.zeros(0), n)
    for m, graph in graphs.items():
        if weights.get(m, 0.0) > 0:
            total = total + weights[m] * graph
    total = total.coalesce()
    index, values = total.indices(), total.values()
    row_sum = torch.zeros(n).index_add_(0, index[0], values)
    return _sparse(index[0], index[1], values / row_sum[index[0]], n)


def edge_agreement(graph: torch.Tensor, labels: np.ndarray) -> float:
    """Share of the edge weight of a row-normalised item graph ``(n, n)`` that links items with the
    same label (``labels`` ``(n,)``), averaged over the items that have neighbours: 1 means every
    neighbour shares the label, the label's frequency is what random links would give."""
    graph = graph.coalesce()
    rows, cols = graph.indices()
    labels = np.asarray(labels)
    same = torch.from_numpy(labels[rows.numpy()] == labels[cols.numpy()]).float() * graph.values()
    per_row = torch.zeros(graph.shape[0]).index_add_(0, rows, same)
    weight = torch.zeros(graph.shape[0]).index_add_(0, rows, graph.values())
    has = weight > 0
    return float((per_row[has] / weight[has]).mean())


def prune_edges(users: torch.Tensor, items: torch.Tensor, keep: float, generator: torch.Generator) -> torch.Tensor:
    """Degree-sensitive pruning: indices of ``round(keep * E)`` of the ``E`` unique edges
    ``(users (E,), items (E,))``, drawn without replacement with probability proportional to
    :math:`1/\\sqrt{d_u d_i}` (edges between two well-connected nodes are dropped first, so that
    popular items and heavy users do not dominate every epoch's propagation).

    Weighted sampling without replacement by exponential keys (Efraimidis & Spirakis, 2006): edge
    ``e`` gets key :math:`x_e / w_e` with :math:`x_e \\sim \\mathrm{Exp}(1)`; the smallest keys win.
    Returns sorted ``(round(keep * E),)`` long indices.
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    n_keep = round(keep * len(users))
    if n_keep >= len(users):
        return torch.arange(len(users))
    d_u = torch.bincount(users)[users].double()
    d_i = torch.bincount(items)[items].double()
    weight = 1.0 / torch.sqrt(d_u * d_i)
    keys = torch.empty(len(users), dtype=torch.float64).exponential_(generator=generator) / weight
    return torch.sort(torch.topk(keys, n_keep, largest=False).indices).values
