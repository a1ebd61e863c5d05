"""FAISS retrieval: a model's vectors reproduce its scores, indexes against exact top-K, filtering."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mmrec_tutorial.data import random_split
from mmrec_tutorial.data.splits import TRAIN
from mmrec_tutorial.models import BPRMF, LightGCN
from mmrec_tutorial.serving import (INDEX_KINDS, build_index, clustered_vectors, exact_top_k, index_bytes,
                                    overlap_recall, retrieval_vectors, search, set_search_effort)
from test_models import N_ITEMS, N_USERS, planted_interactions

pytest.importorskip("faiss")


@pytest.mark.parametrize("factory", [lambda: BPRMF(N_USERS, N_ITEMS, dim=8), lambda: LightGCN(N_USERS, N_ITEMS, dim=8)])
def test_retrieval_vectors_reproduce_the_models_scores(factory):
    torch.manual_seed(0)
    model = factory()
    model.prepare(random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0))
    if isinstance(model, BPRMF):
        torch.nn.init.normal_(model.bias, std=1.0)  # a bias to fold in
    users, items = retrieval_vectors(model)
    with torch.no_grad():
        expected = model.full_scores(torch.arange(N_USERS)).numpy()
    assert np.allclose(users @ items.T, expected, atol=1e-5)


def test_flat_search_is_exact_top_k_without_the_known_items():
    split = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    known = split.sets(TRAIN)
    rng = np.random.default_rng(0)
    users_v, items_v = rng.standard_normal((N_USERS, 6)).astype("f4"), rng.standard_normal((N_ITEMS, 6)).astype("f4")
    users = np.arange(N_USERS)
    found = search(build_index(items_v, "flat"), users_v, 10, users, known)
    exact = exact_top_k(users_v, items_v, 10, users, known)
    assert overlap_recall(found, exact) == 1.0
    for u in users:
        assert not set(found[u]) & set(known.items_of(int(u)).tolist())
        scores = users_v[u] @ items_v.T
        scores[known.items_of(int(u)).numpy()] = -np.inf
        assert set(found[u]) == set(np.argsort(-scores)[:10])


def test_approximate_indexes_approach_exact_with_more_effort():
    items, queries = clustered_vectors(4000, d=32, n_clusters=40), clustered_vectors(50, d=32, n_clusters=40, seed=1)
    exact = exact_top_k(queries, items, 20)
    for kind in INDEX_KINDS:
        index = build_index(items, kind, nlist=16, m=8)
        set_search_effort(index, nprobe=16, ef_search=400)  # every IVF cell; a wide HNSW beam
        recall = overlap_recall(search(index, queries, 20), exact)
        assert recall >= (0.6 if kind == "ivf-pq" else 0.95), (kind, recall)  # PQ also compresses the vectors
        assert index_bytes(index) > 0
    pq = build_index(items, "ivf-pq", nlist=16, m=8)
    assert index_bytes(pq) < index_bytes(build_index(items, "flat")) / 4  # 8 bytes a vector instead of 128


def test_clustered_vectors_and_bad_arguments():
    a = clustered_vectors(1000, d=8, chunk=300)
    assert a.shape == (1000, 8) and a.dtype == np.float32 and np.array_equal(a, clustered_vectors(1000, d=8, chunk=300))
    with pytest.raises(ValueError, match="kind must be one of"):
        build_index(a, "annoy")
    with pytest.raises(ValueError, match="multiple of m"):
        build_index(a, "ivf-pq", m=3)
    assert overlap_recall(np.array([[1, 2, -1]]), np.array([[2, 3, 1]])) == pytest.approx(2 / 3)
