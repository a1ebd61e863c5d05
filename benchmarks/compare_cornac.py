"""Our BPR-MF against a peer, ``cornac.models.BPR``, on the same split, both scored by OUR metrics.

    pip install -e .[bench]                                  # cornac, a benchmark-only dependency
    python benchmarks/compare_cornac.py --data lfm2k         # the published split, 3 model seeds
    python benchmarks/compare_cornac.py --data movielens-100k:tests/fixtures/ml-100k --tune
    python benchmarks/compare_cornac.py --data ml100k-like   # a MovieLens-100K-sized synthetic catalog
    python benchmarks/compare_cornac.py --train-fraction 0.5 # a sparser Last.fm 2K: half its training pairs

Any dataset spec of ``data.adapters.load_dataset`` works. A dataset with a published split
(MMRec's ``x_label``: ``lfm2k``, ``mmrec:<folder>``) is used as published, with one model seed per
``--seeds``; any other gets one per-user random 8:1:1 split per seed. Both models train on the
split's training part and are scored on its test part by ``metrics.evaluate_full_ranking`` (full
ranking over all items, training items masked), so only the models differ, never the evaluation.

Cornac runs with the settings of the course's peer check (``k=64, max_iter=200,
learning_rate=0.01, lambda_reg=0.01``) and, with ``--tune``, also with the best of a grid chosen on
the validation part of the first split. Ours runs with the ``models.zoo`` defaults (nothing tuned
here: the defaults are the claim). Times are wall clock of one fit: cornac's ``fit``; ours
``train.fit`` to early stopping, with its per-epoch validation.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time

import numpy as np
import torch

from mmrec_tutorial.data import TEST, TRAIN, VALID, Split, random_split
from mmrec_tutorial.data.adapters import load_dataset
from mmrec_tutorial.device import describe_device, pick_device
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.metrics import evaluate_full_ranking
from mmrec_tutorial.models.zoo import build_model, default_config
from mmrec_tutorial.train import TrainConfig, fit

from ranking import ml100k_like

PEER = {"k": 64, "max_iter": 200, "learning_rate": 0.01, "lambda_reg": 0.01}
GRID = {"k": [32, 64], "learning_rate": [0.01, 0.05], "lambda_reg": [0.001, 0.01], "max_iter": [100, 200, 400]}


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


def thinned(split: Split, fraction: float, seed: int) -> Split:
    """``split`` keeping a seeded random ``fraction`` of its training interactions, validation and
    test untouched: the same users and items, sparser. Both models train on the same thinned part."""
    if fraction >= 1:
        return split
    inter = split.interactions
    drop = inter[inter["x_label"] == TRAIN].sample(frac=1 - fraction, random_state=seed).index
    return dataclasses.replace(split, name=f"{split.name}, {fraction:.0%} of its training pairs",
                               interactions=inter.drop(index=drop))


def fit_cornac(split, params: dict, seed: int) -> tuple[torch.Tensor, float]:
    """Train cornac BPR on ``split.train``: its ``(n_users, n_items)`` scores and fit seconds."""
    import cornac

    train = split.train
    triples = list(zip(train["user_idx"].tolist(), train["item_idx"].tolist(), [1.0] * len(train)))
    train_set = cornac.data.Dataset.from_uir(triples, seed=seed)
    model = cornac.models.BPR(**params, seed=seed, verbose=False)
    start = time.perf_counter()
    model.fit(train_set)
    return cornac_scores(model, train_set, split.n_users, split.n_items), time.perf_counter() - start


def scored(scores: torch.Tensor, split, part: int) -> dict[str, float]:
    return evaluate_full_ranking(lambda users: scores[users.cpu()], split.sets(part), split.sets(TRAIN),
                                 ks=(10, 20)).mean()


def fit_ours(split, seed: int, device) -> tuple[dict[str, float], float, int]:
    """Our BPR-MF with the zoo defaults: test metrics, fit seconds, best epoch."""
    torch.manual_seed(seed)
    cfg = TrainConfig(**default_config("bpr"), device=device, seed=seed, progress=False)
    result = fit(build_model("bpr", split.n_users, split.n_items), split, cfg)
    return evaluate_trained(result.model, split).mean(), result.seconds, result.best_epoch


def tuned_cornac(split, seed: int) -> dict:
    """The grid point with the best validation Recall@20 (the test part is not looked at)."""
    best = None
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values))
        valid = scored(fit_cornac(split, params, seed)[0], split, VALID)["recall@20"]
        print(f"  cornac {params}: valid Recall@20 {valid:.4f}", flush=True)
        best = max(best or (valid, params), (valid, params), key=lambda t: t[0])
    return best[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="lfm2k", help="a dataset spec (default lfm2k), or ml100k-like")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tune", action="store_true", help="also run cornac tuned on validation")
    parser.add_argument("--train-fraction", type=float, default=1.0,
                        help="keep this fraction of the training pairs (a sparser dataset; default 1)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for ours (default 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        import cornac
    except ImportError as exc:
        print(f"cornac is not installed ({exc}); pip install -e .[bench]", file=sys.stderr)
        return 2
    data = ml100k_like() if args.data == "ml100k-like" else load_dataset(args.data)
    inter = data.interactions.drop(columns="x_label", errors="ignore")
    splits = {seed: thinned(data.given_split() if getattr(data, "has_given_split", False)
                            else random_split(inter, data.n_users, data.n_items, seed=seed), args.train_fraction, seed)
              for seed in args.seeds}
    device = pick_device(args.device)
    first = splits[args.seeds[0]]
    print(f"# BPR-MF vs cornac {cornac.__version__} BPR on {data.name}: {data.n_users} users x {data.n_items} items, "
          f"{len(inter)} interactions; split: {first.name} {first.sizes()}; seeds {args.seeds}; ours on {describe_device(device)}")
    peers = {"cornac (peer settings)": PEER}
    if args.tune:
        peers["cornac (tuned on valid)"] = tuned_cornac(first, args.seeds[0])
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # one-off import cost of torch.optim, not a fit's
    print(f"\nours: zoo defaults {default_config('bpr')}; " + "; ".join(f"{k}: {v}" for k, v in peers.items()))
    print("\n| model | seed | Recall@20 | NDCG@20 | fit s | best epoch |\n|---|---|---|---|---|---|")
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for seed, split in splits.items():
        for name, params in peers.items():
            scores, seconds = fit_cornac(split, params, seed)
            t = scored(scores, split, TEST)
            rows.setdefault(name, []).append((t["recall@20"], t["ndcg@20"], seconds))
            print(f"| {name} | {seed} | {t['recall@20']:.4f} | {t['ndcg@20']:.4f} | {seconds:.1f} | {params['max_iter']} |")
        t, seconds, best = fit_ours(split, seed, device)
        rows.setdefault("ours BPR-MF", []).append((t["recall@20"], t["ndcg@20"], seconds))
        print(f"| ours BPR-MF | {seed} | {t['recall@20']:.4f} | {t['ndcg@20']:.4f} | {seconds:.1f} | {best} |", flush=True)
    means = {name: np.mean(values, axis=0) for name, values in rows.items()}
    print("\n| model | mean Recall@20 | mean NDCG@20 | mean fit s |\n|---|---|---|---|")
    for name, (r, n, s) in means.items():
        print(f"| {name} | {r:.4f} | {n:.4f} | {s:.1f} |")
    ours = means["ours BPR-MF"]
    for name in peers:
        print(f"ours / {name}: Recall@20 x{ours[0] / means[name][0]:.3f}, fit time x{ours[2] / means[name][2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
