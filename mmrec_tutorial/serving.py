"""Serving at scale: approximate nearest-neighbour retrieval over a model's item vectors with FAISS.

Every inner-product ranker scores :math:`s_u^v = \\langle p_u, q_v \\rangle` (+ an item bias, folded
in as one more coordinate: :func:`retrieval_vectors`). Exact top-K costs one ``(n_items, d)``
product per user; an index answers from a fraction of the items:

- ``flat``: ``IndexFlatIP``, exact (a baseline and a check);
- ``ivf-flat``: k-means cells (``nlist``), a query scans its ``nprobe`` closest cells;
- ``ivf-pq``: the same cells, vectors compressed by product quantisation to ``m`` bytes
  (``nbits=8``), so memory per item drops from ``4 d`` bytes to about ``m``;
- ``hnsw``: a navigable small-world graph (``hnsw_m`` links per node), searched greedily with a
  beam of ``ef_search``.

:func:`search` retrieves ``k`` items per user with the user's training items filtered out (it asks
the index for ``k`` plus the largest history among the users, then drops the known items), so
its results compare one to one with :func:`exact_top_k` and the course's full-ranking evaluation.
``faiss-cpu`` comes from PyPI with the package; on a CUDA machine the ``faiss-gpu`` wheel (or
``faiss.index_cpu_to_gpu``) serves the same indexes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from .data.splits import UserItemSets
from .models.base import Recommender

INDEX_KINDS = ("flat", "ivf-flat", "ivf-pq", "hnsw")


def _faiss():
    try:
        import faiss  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("FAISS is not installed: pip install faiss-cpu") from exc
    return faiss


@torch.no_grad()
def retrieval_vectors(model: Recommender) -> tuple[np.ndarray, np.ndarray]:
    """User ``(n_users, d')`` and item ``(n_items, d')`` float32 vectors whose inner products are
    ``model.full_scores`` (an item bias becomes one more coordinate: user 1, item :math:`b_v`).

    Works for the inner-product rankers (BPR-MF, VBPR, deep MF, LightGCN, the item-graph model);
    others raise ``TypeError``.
    """
    model.eval()
    if hasattr(model, "propagate"):
        users, items = model.propagate()
        bias = None
    elif hasattr(model, "user_vectors") and hasattr(model, "item_vectors") and hasattr(model, "item_bias"):
        device = next(model.parameters()).device
        users, items = model.user_vectors(torch.arange(model.n_users, device=device)), model.item_vectors()
        bias = model.item_bias()
    else:
        raise TypeError(f"{type(model).__name__} does not score by an inner product of user and item vectors")
    if bias is not None:
        users = torch.cat([users, torch.ones(len(users), 1, device=users.device)], 1)
        items = torch.cat([items, bias[:, None]], 1)
    return users.float().cpu().numpy().copy(), items.float().cpu().numpy().copy()


def build_index(items: np.ndarray, kind: str = "hnsw", nlist: int | None = None, m: int = 16, nbits: int = 8,
                hnsw_m: int = 32, ef_construction: int = 80, seed: int = 0):
    """A FAISS inner-product index over ``items`` ``(n, d)`` float32; ``kind`` in :data:`INDEX_KINDS`.

    ``nlist`` (IVF cells) defaults to about :math:`4\\sqrt{n}`; IVF indexes are trained on at most
    ``256 * nlist`` items drawn with ``seed``. ``m``: PQ bytes per vector (``d`` must be a multiple).
    """
    faiss = _faiss()
    items = np.ascontiguousarray(items, dtype=np.float32)
    n, d = items.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
    elif kind in ("ivf-flat", "ivf-pq"):
        nlist = nlist or max(1, min(n // 39, int(4 * np.sqrt(n))))
        quantizer = faiss.IndexFlatIP(d)
        if kind == "ivf-flat":
            index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            if d % m:
                raise ValueError(f"ivf-pq needs the dimension ({d}) to be a multiple of m ({m})")
            index = faiss.IndexIVFPQ(quantizer, d, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        sample = np.random.default_rng(seed).choice(n, size=min(n, 256 * nlist), replace=False)
        index.train(items[np.sort(sample)])
    else:
        raise ValueError(f"kind must be one of {INDEX_KINDS}, got {kind!r}")
    index.add(items)
    return index


def set_search_effort(index, nprobe: int | None = None, ef_search: int | None = None) -> None:
    """How hard a query searches: ``nprobe`` cells of an IVF index, a beam of ``ef_search`` in HNSW."""
    if nprobe is not None and hasattr(index, "nprobe"):
        index.nprobe = nprobe
    if ef_search is not None and hasattr(index, "hnsw"):
        index.hnsw.efSearch = ef_search


def index_bytes(index) -> int:
    """The index's size in bytes, as serialised (vectors, codes, graph links, centroids)."""
    return int(_faiss().serialize_index(index).nbytes)


def _drop_known(ids: np.ndarray, users: np.ndarray, known: UserItemSets | None, k: int) -> np.ndarray:
    """The first ``k`` ids of each row of ``ids`` ``(b, K)`` that are not the user's known items
    (and not FAISS's -1 padding): ``(b, k)``, padded with -1."""
    out = np.full((len(ids), k), -1, dtype=np.int64)
    for row, (user, candidates) in enumerate(zip(users, ids)):
        keep = candidates[candidates >= 0]
        if known is not None:
            keep = keep[~np.isin(keep, known.items_of(int(user)).numpy())]
        out[row, : min(k, len(keep))] = keep[:k]
    return out


def search(index, queries: np.ndarray, k: int, users: Sequence[int] | np.ndarray | None = None,
           known: UserItemSets | None = None) -> np.ndarray:
    """Top-``k`` item ids ``(b, k)`` for ``queries`` ``(b, d)`` (the vectors of ``users``), the
    users' ``known`` items (e.g. their training items) excluded."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    users = np.arange(len(queries)) if users is None else np.asarray(users)
    extra = int(known.counts()[torch.as_tensor(users)].max()) if known is not None and len(users) else 0
    _, ids = index.search(queries, k + extra)
    return _drop_known(ids, users, known, k)


def exact_top_k(queries: np.ndarray, items: np.ndarray, k: int, users: Sequence[int] | np.ndarray | None = None,
                known: UserItemSets | None = None, batch_size: int = 256) -> np.ndarray:
    """Exact top-``k`` ``(b, k)`` by batched scoring (``(batch, n_items)`` products with torch, the
    known items set to -inf), the reference that :func:`search` is measured against."""
    users = np.arange(len(queries)) if users is None else np.asarray(users)
    item_t = torch.from_numpy(np.ascontiguousarray(items, dtype=np.float32))
    out = []
    for start in range(0, len(queries), batch_size):
        q = torch.from_numpy(np.ascontiguousarray(queries[start:start + batch_size], dtype=np.float32))
        scores = q @ item_t.T
        if known is not None:
            scores[known.dense(torch.as_tensor(users[start:start + batch_size]))] = float("-inf")
        out.append(torch.topk(scores, k, dim=1).indices.numpy())
    return np.concatenate(out) if out else np.zeros((0, k), dtype=np.int64)


def overlap_recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each row's exact top-k that ``found`` ``(b, k)`` also returns (recall@k
    against exact retrieval; 1.0 = the same sets)."""
    hits = [len(set(f[f >= 0]) & set(e)) / len(e) for f, e in zip(found, exact)]
    return float(np.mean(hits)) if hits else 0.0


def clustered_vectors(n: int, d: int = 64, n_clusters: int = 1000, spread: float = 1.0, seed: int = 0,
                      chunk: int = 200_000, tastes_seed: int = 0) -> np.ndarray:
    """A synthetic stand-in for a trained model's ``(n, d)`` float32 item (or user) vectors, at any
    size: vectors sit around ``n_clusters`` tastes (Gaussian, ``spread`` times the centres' scale;
    at the default 1.0 neighbouring tastes overlap, at 0.35 they are so well separated that any
    index finds the exact top 20 almost for free) with a log-normal popularity norm: structure
    that indexes exploit (isotropic Gaussian vectors are the worst case: no structure to find). The tastes
    depend on ``tastes_seed`` only, so items and users drawn with different ``seed`` s share them.
    Generated ``chunk`` rows at a time, so 1M x 64 needs the 256 MB of the result and little more."""
    centres = np.random.default_rng(tastes_seed).standard_normal((n_clusters, d)).astype(np.float32)
    rng = np.random.default_rng((tastes_seed, seed))
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        block = centres[rng.integers(0, n_clusters, size)] + spread * rng.standard_normal((size, d), dtype=np.float32)
        norms = np.exp(0.3 * rng.standard_normal(size, dtype=np.float32))
        out[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True) * norms[:, None]
    return out


def timed(fn, *args, repeat: int = 1, **kwargs):
    """``(result, seconds)``: the result of ``fn(*args, **kwargs)`` and the fastest of ``repeat`` runs."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return result, best
