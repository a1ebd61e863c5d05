"""Fast metrics agree with a slow, obvious reference: random cases, ties, empty users, big K."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mmrec_tutorial.data import UserItemSets
from mmrec_tutorial.metrics import evaluate_full_ranking, evaluate_scores


def reference_metrics(scores: np.ndarray, relevant: set[int], exclude: set[int], k: int) -> dict[str, float]:
    """A slow, obvious implementation for one user: the oracle the fast, batched one is checked against."""
    n = len(scores)
    candidates = [i for i in range(n) if i not in exclude]
    ranked = sorted(candidates, key=lambda i: (-scores[i], i)) + sorted(exclude)
    top = ranked[:k]
    hits = [1.0 if i in relevant else 0.0 for i in top]
    dcg = sum(h / np.log2(r + 2) for r, h in enumerate(hits))
    idcg = sum(1 / np.log2(r + 2) for r in range(min(len(relevant), k)))
    first = next(r for r, i in enumerate(ranked) if i in relevant)
    negatives = [j for j in candidates if j not in relevant]
    pairs = [(1.0 if scores[p] > scores[q] else 0.5 if scores[p] == scores[q] else 0.0)
             for p in relevant for q in negatives]
    return {f"recall@{k}": sum(hits) / len(relevant), f"precision@{k}": sum(hits) / k,
            f"hit@{k}": float(sum(hits) > 0), f"ndcg@{k}": dcg / idcg, "mrr": 1 / (first + 1),
            "auc": float(np.mean(pairs)) if pairs else 0.0}


@pytest.mark.parametrize("seed", range(6))
def test_matches_reference_on_random_cases_with_ties(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n = int(rng.integers(2, 40))
        k = int(rng.integers(1, 50))  # often larger than the catalog
        scores = np.round(rng.normal(size=n), 1 if rng.random() < 0.5 else 6).astype(np.float32)  # ties often
        perm = rng.permutation(n)
        n_rel = int(rng.integers(1, max(2, n // 2)))
        n_exc = int(rng.integers(0, n - n_rel + 1))
        rel, exc = set(perm[:n_rel].tolist()), set(perm[n_rel:n_rel + n_exc].tolist())
        relevant = torch.zeros(1, n, dtype=torch.bool)
        relevant[0, list(rel)] = True
        exclude = torch.zeros(1, n, dtype=torch.bool)
        exclude[0, list(exc)] = True
        fast, top = evaluate_scores(torch.from_numpy(scores)[None], relevant, exclude, (k,))
        slow = reference_metrics(scores, rel, exc, k)
        for name, value in slow.items():
            assert float(fast[name][0]) == pytest.approx(value, abs=1e-6), (name, n, k)
        assert top[k].shape == (1, min(k, n))


def test_all_ties_are_broken_by_item_index():
    scores = torch.zeros(1, 6)
    relevant = torch.tensor([[False, False, False, False, False, True]])
    fast, top = evaluate_scores(scores, relevant, torch.zeros_like(relevant), (3,))
    assert top[3].tolist() == [[0, 1, 2]]
    assert float(fast["recall@3"][0]) == 0.0 and float(fast["mrr"][0]) == pytest.approx(1 / 6)
    assert float(fast["auc"][0]) == pytest.approx(0.5)


def test_perfect_and_worst_rankings():
    scores = torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0]])
    relevant = torch.tensor([[True, True, False, False, False]])
    none = torch.zeros_like(relevant)
    best, _ = evaluate_scores(scores, relevant, none, (2,))
    worst, _ = evaluate_scores(-scores, relevant, none, (2,))
    assert float(best["ndcg@2"][0]) == 1.0 and float(best["auc"][0]) == 1.0 and float(best["precision@2"][0]) == 1.0
    assert float(worst["ndcg@2"][0]) == 0.0 and float(worst["auc"][0]) == 0.0 and float(worst["hit@2"][0]) == 0.0


def test_bad_inputs_raise():
    relevant = torch.tensor([[True, False]])
    with pytest.raises(ValueError, match="NaN"):
        evaluate_scores(torch.tensor([[float("nan"), 1.0]]), relevant, torch.zeros_like(relevant))
    with pytest.raises(ValueError, match="both relevant and excluded"):
        evaluate_scores(torch.ones(1, 2), relevant, relevant)


def test_full_ranking_batches_users_skips_empty_and_covers_catalog():
    rng = np.random.default_rng(0)
    n_users, n_items = 50, 30
    table = torch.from_numpy(rng.normal(size=(n_users, n_items)).astype(np.float32))
    test_u = rng.integers(0, n_users - 5, 120)  # the last five users have no test items
    test_i = rng.integers(0, n_items, 120)
    test = UserItemSets(test_u, test_i, n_users, n_items)
    pairs = {(int(u), int(i)) for u, i in zip(test_u, test_i)}
    train_u, train_i = zip(*[(u, i) for u in range(n_users) for i in range(n_items)
                             if rng.random() < 0.2 and (u, i) not in pairs])
    train = UserItemSets(np.array(train_u), np.array(train_i), n_users, n_items)
    result = evaluate_full_ranking(lambda users: table[users], test, train, ks=(5, 40), batch_size=7)
    assert len(result.users) == len(test.users_with_items()) <= n_users - 5
    for row, user in enumerate(result.users.tolist()):
        ref = reference_metrics(table[user].numpy(), set(test.items_of(user).tolist()),
                                set(train.items_of(user).tolist()), 5)
        assert float(result.per_user["ndcg@5"][row]) == pytest.approx(ref["ndcg@5"], abs=1e-6)
        assert float(result.per_user["auc"][row]) == pytest.approx(ref["auc"], abs=1e-6)
    assert result.coverage[40] == 1.0 and 0 < result.coverage[5] <= 1
    means = result.mean()
    assert means["recall@40"] == pytest.approx(1.0)  # K above the catalog size: every test item is retrieved
    lo, hi = result.bootstrap_ci(n_boot=200)["ndcg@5"]
    assert lo <= means["ndcg@5"] <= hi


def test_score_fn_with_wrong_shape_is_reported():
    test = UserItemSets(np.array([0]), np.array([1]), 2, 3)
    with pytest.raises(ValueError, match="expected"):
        evaluate_full_ranking(lambda users: torch.zeros(len(users), 4), test, None)


def test_top_only_ranks_exactly_like_the_full_sort_with_ties():
    """Validation's fast path (top-k selection, ties by lower index) gives the full ranking's
    top-k order and metrics exactly, also with many tied and masked scores."""
    from mmrec_tutorial.metrics import _rank_order, _top_k_order

    gen = torch.Generator().manual_seed(0)
    for _ in range(200):
        b, n = int(torch.randint(1, 6, (1,), generator=gen)), int(torch.randint(1, 40, (1,), generator=gen))
        scores = torch.round(torch.randn(b, n, generator=gen) * 2) / 2  # ties are common
        exclude = torch.rand(b, n, generator=gen) < 0.3
        relevant = (torch.rand(b, n, generator=gen) < 0.3) & ~exclude
        masked = scores.masked_fill(exclude, float("-inf"))
        for k in {1, min(5, n), min(20, n), n}:
            assert torch.equal(_top_k_order(masked, k), _rank_order(masked)[:, :k])
        fast, _ = evaluate_scores(scores, relevant, exclude, (3, 20), top_only=True)
        full, _ = evaluate_scores(scores, relevant, exclude, (3, 20))
        assert set(fast) < set(full) and "auc" not in fast
        assert all(torch.equal(fast[name], full[name]) for name in fast)


def test_describe_difference_says_whether_the_interval_clears_zero():
    from mmrec_tutorial.metrics import describe_difference

    assert describe_difference({"mean": 0.015, "lo": 0.004, "hi": 0.027}) == "+0.0150 [+0.0040, +0.0270], higher"
    assert describe_difference({"mean": -0.02, "lo": -0.03, "hi": -0.01}, 2).endswith("], lower")
    assert describe_difference({"mean": 0.001, "lo": -0.01, "hi": 0.012}).endswith("no reliable difference")
