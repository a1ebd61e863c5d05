"""Notebook 03's fusion comparison repeated over seeds (issue 4's targets, measured not asserted).

    python benchmarks/fusion.py                      # QUICK settings, seeds 0-4, one thread
    python benchmarks/fusion.py --seeds 0 1 2 --full --device cuda

For each seed: a fresh random 8:1:1 split, every single-modality model and every fusion of
``models.fused.FUSION_VARIANTS`` trained with notebook 03's settings (dim 32, Adam lr 8e-3,
batch 2048, early stopping on validation Recall@20 every second epoch, patience 3, at most 16
epochs with QUICK, else 60), test NDCG@20 / Recall@20 by full ranking. Prints the mean and
standard deviation over seeds, the paired difference of every fusion to the best fixed weighted
sum, and the two targets: best fusion >= 1.2x the best single modality, and attention (per
user-item pair) at least as good as the best fixed weighted sum.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch

from mmrec_tutorial.data import random_split
from mmrec_tutorial.device import describe_device
from mmrec_tutorial.evaluation import evaluate_models
from mmrec_tutorial.fusion import MODALITIES
from mmrec_tutorial.models.fused import FUSION_VARIANTS, FusedRecommender
from mmrec_tutorial.train import TrainConfig

from _common import add_device_options, sample_with_features  # benchmarks/_common.py

FIXED_SUMS = ("weighted sum (α=β=γ=1/3)", "weighted sum, random mixing in training")
ATTENTION = "attention (per user–item pair)"


def run_seed(catalog, content, seed: int, epochs: int, device: torch.device) -> dict[str, dict[str, float]]:
    split = random_split(catalog.interactions, catalog.n_users, catalog.n_items, seed=seed)
    config = TrainConfig(epochs=epochs, batch_size=2048, lr=8e-3, reg=1e-4, eval_every=2, patience=3, seed=seed,
                         device=device, progress=False)
    lineup = {f"{m} only": ([m], {}) for m in MODALITIES}
    lineup.update({name: (list(MODALITIES), kwargs) for name, kwargs in FUSION_VARIANTS.items()})
    def factory(modalities: list[str], kwargs: dict):
        return lambda: FusedRecommender(catalog.n_users, catalog.n_items, content.select(modalities), dim=32, **kwargs)

    out = {}
    for name, (modalities, kwargs) in lineup.items():  # one at a time, to print as they finish
        comparison = evaluate_models({name: factory(modalities, kwargs)}, split, config, n_boot=1, seed=seed,
                                     device=device, progress=False)
        metrics = comparison.table.loc[(name, "all")]
        out[name] = {"ndcg@20": metrics["ndcg@20"], "recall@20": metrics["recall@20"],
                     "seconds": comparison.fits[name].seconds}
        print(f"seed {seed} {name:42s} NDCG@20 {metrics['ndcg@20']:.4f}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--full", action="store_true", help="full encoders and up to 60 epochs (default: QUICK)")
    add_device_options(parser)
    parser.add_argument("--catalog", type=Path, default=None,
                        help="a catalog folder (e.g. from generate-data) instead of the sample")
    args = parser.parse_args()
    quick = not args.full
    device, catalog, encoded = sample_with_features(args, quick, args.catalog)
    print(f"# fusion comparison on {args.catalog or 'the sample'}, {'QUICK' if quick else 'full'}, "
          f"{describe_device(device)}, seeds {args.seeds}")
    rows = []
    for seed in args.seeds:
        for name, metrics in run_seed(catalog, encoded, seed, 16 if quick else 60,
                                      device).items():
            rows.append({"seed": seed, "model": name, **metrics})
    frame = pd.DataFrame(rows)
    ndcg = frame.pivot(index="seed", columns="model", values="ndcg@20")
    summary = frame.groupby("model")[["ndcg@20", "recall@20", "seconds"]].agg(["mean", "std"])
    print("\n" + summary.loc[ndcg.columns[ndcg.mean().argsort()[::-1]]].round(4).to_string())

    best_fixed = ndcg[list(FIXED_SUMS)].mean().idxmax()
    paired = ndcg.sub(ndcg[best_fixed], axis=0)
    print(f"\npaired difference in NDCG@20 to the best fixed weighted sum ({best_fixed}), per seed:")
    print(paired.drop(columns=[best_fixed]).T.round(4).assign(mean=paired.mean().round(4)).to_string())

    singles = [f"{m} only" for m in MODALITIES]
    fusions = list(FUSION_VARIANTS)
    ratio = ndcg[fusions].mean().max() / ndcg[singles].mean().max()
    wins = int((paired[ATTENTION] >= 0).sum())
    print(f"\nbest fusion / best single modality (means over seeds): {ratio:.2f} (target >= 1.2) -> "
          f"{'MET' if ratio >= 1.2 else 'NOT MET'}")
    print(f"attention per user-item pair {ndcg[ATTENTION].mean():.4f} vs best fixed weighted sum "
          f"{ndcg[best_fixed].mean():.4f}: mean paired difference {paired[ATTENTION].mean():+.4f}, "
          f"at least as good on {wins} of {len(ndcg)} seeds -> "
          f"{'MET' if paired[ATTENTION].mean() >= 0 else 'NOT MET'} (on the mean)")


if __name__ == "__main__":
    main()
