"""Calibrate our BPR-MF against a peer: ``cornac.models.BPR`` on the same split, scored by OUR metrics.

    pip install "cornac>=2.0"            # benchmark-only dependency (the `bench` extra)
    python benchmarks/compare_cornac.py                 # MovieLens-100K-sized catalog (see ranking.py)
    python benchmarks/compare_cornac.py --data sample   # the sample catalog

Both models see the same training interactions of a per-user random 8:1:1 split. Each picks its
hyper-parameters on the validation part from a small grid (ours: ``models.zoo`` defaults plus a
few; cornac's: learning rate, regularisation, factors, iterations), then both are scored on the
test part by ``metrics.evaluate_full_ranking`` — full ranking over all items, training items
masked — so that only the models differ, never the evaluation code. Training times are wall
clock of the final fit. The target: ours is not more than 5% worse on test Recall@20.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np
import torch

from mmrec_tutorial.data import TEST, TRAIN, VALID, random_split
from mmrec_tutorial.data.adapters import load_dataset
from mmrec_tutorial.device import describe_device, pick_device
from mmrec_tutorial.metrics import evaluate_full_ranking
from mmrec_tutorial.models.zoo import build_model, default_config
from mmrec_tutorial.train import TrainConfig, fit

from ranking import ml100k_like


def cornac_scores(model, train_set, n_users: int, n_items: int) -> torch.Tensor:
    """Cornac BPR's scores ``u·v + b_v`` in our index space, ``(n_users, n_items)``; items cornac
    never saw (no training interaction) get the lowest score."""
    users = np.array([train_set.uid_map.get(u, -1) for u in range(n_users)])
    items = np.array([train_set.iid_map.get(i, -1) for i in range(n_items)])
    u, v, b = model.u_factors, model.i_factors, model.i_biases
    scores = np.full((n_users, n_items), -1e9, dtype=np.float32)
    known_u, known_i = users >= 0, items >= 0
    scores[np.ix_(known_u, known_i)] = u[users[known_u]] @ v[items[known_i]].T + b[items[known_i]][None, :]
    return torch.from_numpy(scores)


def fit_cornac(split, params: dict, seed: int):
    import cornac

    train = split.train
    triples = list(zip(train["user_idx"].tolist(), train["item_idx"].tolist(), [1.0] * len(train)))
    train_set = cornac.data.Dataset.from_uir(triples, seed=seed)
    model = cornac.models.BPR(**params, seed=seed, verbose=False)
    start = time.perf_counter()
    model.fit(train_set)
    return model, train_set, time.perf_counter() - start


def score_table(score_all: torch.Tensor, split, part: int) -> dict[str, float]:
    return evaluate_full_ranking(lambda users: score_all[users.cpu()], split.sets(part), split.sets(TRAIN),
                                 ks=(10, 20)).mean()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="ml100k-like", help="ml100k-like (default), or a dataset spec such as sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    try:
        import cornac  # noqa: F401
    except ImportError as exc:
        print(f"cornac is not installed ({exc}); pip install 'cornac>=2.0'", file=sys.stderr)
        return 2
    data = ml100k_like() if args.data == "ml100k-like" else load_dataset(args.data)
    split = random_split(data.interactions.drop(columns="x_label", errors="ignore"), data.n_users, data.n_items,
                         seed=args.seed)
    device = pick_device(args.device)
    print(f"# BPR-MF vs cornac BPR on {data.name}: {data.n_users} users x {data.n_items} items, "
          f"{len(data.interactions)} interactions; split {split.name}; ours on {describe_device(device)}\n")

    # cornac: grid on validation, our metrics
    grid = {"k": [32, 64], "learning_rate": [0.01, 0.05], "lambda_reg": [0.001, 0.01], "max_iter": [100, 300]}
    best = None
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        model, train_set, seconds = fit_cornac(split, params, args.seed)
        valid = score_table(cornac_scores(model, train_set, data.n_users, data.n_items), split, VALID)["recall@20"]
        print(f"  cornac {params}: valid Recall@20 {valid:.4f} ({seconds:.1f} s)", flush=True)
        if best is None or valid > best[0]:
            best = (valid, params)
    model, train_set, cornac_seconds = fit_cornac(split, best[1], args.seed)
    cornac_test = score_table(cornac_scores(model, train_set, data.n_users, data.n_items), split, TEST)

    # ours: the zoo default plus two neighbours, chosen on validation
    ours_best = None
    for overrides in ({}, {"reg": 1e-2}, {"dim": 64}):
        model_kw = {k: v for k, v in overrides.items() if k == "dim"}
        cfg = TrainConfig(**{**default_config("bpr"), "epochs": 200,
                             **{k: v for k, v in overrides.items() if k != "dim"}},
                          device=device, seed=args.seed, progress=False)
        torch.manual_seed(args.seed)
        result = fit(build_model("bpr", data.n_users, data.n_items, **model_kw), split, cfg)
        print(f"  ours {overrides or 'defaults'}: valid Recall@20 {result.best_valid['recall@20']:.4f} "
              f"({result.seconds:.1f} s, {int(result.history['epoch'].max())} epochs)", flush=True)
        if ours_best is None or result.best_valid["recall@20"] > ours_best[0].best_valid["recall@20"]:
            ours_best = (result, overrides)
    result, overrides = ours_best
    with torch.no_grad():
        ours_scores = result.model.eval().full_scores(torch.arange(data.n_users, device=device)).float().cpu()
    ours_test = score_table(ours_scores, split, TEST)

    print("\n| model | chosen on validation | test Recall@20 | test NDCG@20 | test Recall@10 | train seconds |")
    print("|---|---|---|---|---|---|")
    print(f"| cornac BPR {cornac.__version__} | {best[1]} | {cornac_test['recall@20']:.4f} | "
          f"{cornac_test['ndcg@20']:.4f} | {cornac_test['recall@10']:.4f} | {cornac_seconds:.1f} |")
    print(f"| ours BPR-MF | {overrides or 'zoo defaults'} | {ours_test['recall@20']:.4f} | {ours_test['ndcg@20']:.4f} "
          f"| {ours_test['recall@10']:.4f} | {result.seconds:.1f} (early stopping, incl. validation) |")
    ratio = ours_test["recall@20"] / cornac_test["recall@20"]
    print(f"\nours / cornac test Recall@20 = {ratio:.3f}; target >= 0.95 -> {'MET' if ratio >= 0.95 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
