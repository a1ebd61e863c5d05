"""Calibrate our BPR-MF against a peer: ``cornac.models.BPR`` on the same split, scored by OUR metrics.

    pip install "cornac>=2.0"            # benchmark-only dependency (the `bench` extra)
    python benchmarks/compare_cornac.py                 # MovieLens-100K-sized catalog (see ranking.py)
    python benchmarks/compare_cornac.py --data sample   # the sample catalog

Both models see the same training interactions of a per-user random 8:1:1 split. Each picks its
hyper-parameters on the validation part of the first split from a grid of similar size (ours:
learning rate, regularisation, factors around the ``models.zoo`` defaults; cornac's: learning
rate, regularisation, factors, iterations). Each is then refitted on every split of ``--seeds``
and scored on its test part by ``metrics.evaluate_full_ranking`` — full ranking over all items,
training items masked — so that only the models differ, never the evaluation code. Training
times are wall clock of the final fits. The target: ours is not more than 5% worse on the mean
test Recall@20.
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


def fit_ours(split, n_users: int, n_items: int, overrides: dict, device, seed: int):
    model_kw = {k: v for k, v in overrides.items() if k == "dim"}
    cfg = TrainConfig(**{**default_config("bpr"), "epochs": 200, **{k: v for k, v in overrides.items() if k != "dim"}},
                      device=device, seed=seed, progress=False)
    torch.manual_seed(seed)
    return fit(build_model("bpr", n_users, n_items, **model_kw), split, cfg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="ml100k-like", help="ml100k-like (default), or a dataset spec such as sample")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="one random split per seed; hyper-parameters are chosen on the first one's validation")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for ours (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        import cornac
    except ImportError as exc:
        print(f"cornac is not installed ({exc}); pip install 'cornac>=2.0'", file=sys.stderr)
        return 2
    data = ml100k_like() if args.data == "ml100k-like" else load_dataset(args.data)
    inter = data.interactions.drop(columns="x_label", errors="ignore")
    splits = {seed: random_split(inter, data.n_users, data.n_items, seed=seed) for seed in args.seeds}
    device = pick_device(args.device)
    first = splits[args.seeds[0]]
    print(f"# BPR-MF vs cornac BPR on {data.name}: {data.n_users} users x {data.n_items} items, "
          f"{len(inter)} interactions; {first.name}, seeds {args.seeds}; ours on {describe_device(device)}, "
          f"cornac with its default OpenMP threads\n")

    print(f"hyper-parameters, chosen on the validation part of the seed-{args.seeds[0]} split:")
    grid = {"k": [32, 64], "learning_rate": [0.01, 0.05], "lambda_reg": [0.001, 0.01], "max_iter": [50, 100, 300]}
    best_cornac = None
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        model, train_set, seconds = fit_cornac(first, params, args.seeds[0])
        valid = score_table(cornac_scores(model, train_set, data.n_users, data.n_items), first, VALID)["recall@20"]
        print(f"  cornac {params}: valid Recall@20 {valid:.4f} ({seconds:.1f} s)", flush=True)
        if best_cornac is None or valid > best_cornac[0]:
            best_cornac = (valid, params)
    ours_grid = {"lr": [2e-3, 5e-3, 1e-2], "reg": [1e-2, 3e-2], "dim": [32, 64]}
    best_ours = None
    for values in itertools.product(*ours_grid.values()):
        overrides = dict(zip(ours_grid, values))
        result = fit_ours(first, data.n_users, data.n_items, overrides, device, args.seeds[0])
        valid = result.best_valid["recall@20"]
        print(f"  ours {overrides}: valid Recall@20 {valid:.4f} ({result.seconds:.1f} s, "
              f"{int(result.history['epoch'].max())} epochs)", flush=True)
        if best_ours is None or valid > best_ours[0]:
            best_ours = (valid, overrides)

    rows = []
    for seed, split in splits.items():
        model, train_set, c_seconds = fit_cornac(split, best_cornac[1], seed)
        c_test = score_table(cornac_scores(model, train_set, data.n_users, data.n_items), split, TEST)
        result = fit_ours(split, data.n_users, data.n_items, best_ours[1], device, seed)
        with torch.no_grad():
            scores = result.model.eval().full_scores(torch.arange(data.n_users, device=device)).float().cpu()
        o_test = score_table(scores, split, TEST)
        rows.append((seed, c_test, c_seconds, o_test, result.seconds))

    print(f"\ncornac BPR {cornac.__version__}: {best_cornac[1]}; ours BPR-MF: zoo defaults + {best_ours[1]}")
    print("\n| split seed | cornac R@20 | ours R@20 | cornac N@20 | ours N@20 | cornac train s | ours train s |")
    print("|---|---|---|---|---|---|---|")
    for seed, c, cs, o, os_ in rows:
        print(f"| {seed} | {c['recall@20']:.4f} | {o['recall@20']:.4f} | {c['ndcg@20']:.4f} | {o['ndcg@20']:.4f} "
              f"| {cs:.1f} | {os_:.1f} |")
    c_mean = float(np.mean([r[1]["recall@20"] for r in rows]))
    o_mean = float(np.mean([r[3]["recall@20"] for r in rows]))
    c_ndcg = float(np.mean([r[1]["ndcg@20"] for r in rows]))
    o_ndcg = float(np.mean([r[3]["ndcg@20"] for r in rows]))
    print(f"| mean | {c_mean:.4f} | {o_mean:.4f} | {c_ndcg:.4f} | {o_ndcg:.4f} | "
          f"{np.mean([r[2] for r in rows]):.1f} | {np.mean([r[4] for r in rows]):.1f} |")
    ratio = o_mean / c_mean
    print(f"\nours / cornac mean test Recall@20 = {ratio:.3f}; target >= 0.95 -> {'MET' if ratio >= 0.95 else 'NOT MET'}"
          f"\n(ours: wall clock of train.fit with early stopping, validation every epoch included; cornac: its fit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
