"""The graph rankers on real data: BPR-MF, LightGCN, the FREEDOM-style item-graph model and the
zoo's other multimodal models on one split, several seeds, scored by the course's metrics.

    python benchmarks/graph_models.py                        # Last.fm 2K, published split, seeds 0 1 2
    python benchmarks/graph_models.py --models lightgcn freedom --seeds 0
    python benchmarks/graph_models.py --grid                 # the validation search behind the defaults

Needs the dataset (``MMREC_DATA_DIR`` or a download; see ``data.adapters.download``). Every model
trains with its ``models.zoo`` defaults to early stopping on validation Recall@20; the table gives
test Recall@20 and NDCG@20 (full ranking, training items masked) and the fit's wall-clock seconds.
``--grid`` trains the item-graph model on seed 0 with one setting changed at a time and prints the
validation Recall@20 that chose its defaults (and, for the record, the test value, never used to choose).
"""

from __future__ import annotations

import argparse

import pandas as pd
import torch

from mmrec_tutorial.data import random_split
from mmrec_tutorial.data.adapters import load_dataset
from mmrec_tutorial.device import describe_device, pick_device
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.models.zoo import CONTENT_MODELS, build_model, default_config
from mmrec_tutorial.train import TrainConfig, fit

from _common import add_device_options

#: One setting changed at a time from the zoo's defaults (keep 1, content weight 0, equal weights, k 10, L 2).
GRID: dict[str, dict] = {
    "defaults": {},
    "prune: keep 0.9": {"keep": 0.9},
    "prune: keep 0.8": {"keep": 0.8},
    "content loss 0.1": {"content_weight": 0.1},
    "content loss 1.0": {"content_weight": 1.0},
    "text weighs double": {"modality_weights": {"text": 2.0, "vggish": 1.0, "whisper": 1.0}},
    "text only": {"modality_weights": {"text": 1.0}},
    "audio only": {"modality_weights": {"vggish": 1.0, "whisper": 1.0}},
    "k 5": {"k": 5},
    "k 20": {"k": 20},
    "item layers 1": {"item_layers": 1},
    "item layers 3": {"item_layers": 3},
}


def train_one(ds, split, name: str, seed: int, device: torch.device, **model_kw) -> dict:
    """Fit ``name`` with its defaults (``model_kw`` overriding constructor ones) and score it."""
    torch.manual_seed(seed)
    model = build_model(name, ds.n_users, ds.n_items, ds.content if name in CONTENT_MODELS else None, **model_kw)
    result = fit(model, split, TrainConfig(**default_config(name), seed=seed, device=str(device), progress=False))
    test = evaluate_trained(result.model, split).mean()
    return {"valid recall@20": result.best_valid["recall@20"], "recall@20": test["recall@20"],
            "ndcg@20": test["ndcg@20"], "best epoch": result.best_epoch, "fit s": result.seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="lfm2k")
    parser.add_argument("--models", nargs="+", default=["bpr", "lightgcn", "freedom", "vbpr", "knn"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--grid", action="store_true", help="the item-graph model's validation search (seed 0)")
    add_device_options(parser)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    ds = load_dataset(args.data)
    split = ds.given_split() if ds.has_given_split else random_split(ds.interactions, ds.n_users, ds.n_items, seed=0)
    print(f"{args.data}: {ds.n_users} users, {ds.n_items} items, split {split.sizes()}; {describe_device(device)}")
    if args.grid:
        rows = {label: train_one(ds, split, "freedom", 0, device, **kw) for label, kw in GRID.items()}
        print(pd.DataFrame(rows).T.round(4).to_string())
        return
    rows = []
    for name in args.models:
        for seed in args.seeds:
            rows.append({"model": name, "seed": seed, **train_one(ds, split, name, seed, device)})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.round(4).to_string(index=False))
    print(table.groupby("model", sort=False)[["recall@20", "ndcg@20", "fit s"]].agg(["mean", "std"]).round(4).to_string())


if __name__ == "__main__":
    main()
