"""Measured figures of issue 5 (cross-modal learning) on the sample catalog.

    python benchmarks/crossmodal.py                  # full settings (encoders and 20 epochs)
    python benchmarks/crossmodal.py --quick          # notebook 04's QUICK settings
    python benchmarks/crossmodal.py --seeds 0 1 --threads 1 --json /tmp/crossmodal.json

1. Retrieval: InfoNCE alignment vs. random heads (the "before") vs. a ridge least-squares map,
   in 5 folds over items (every item is held out once), text→image, text→audio, image→audio;
   exact-item R@1/R@10 and same-trait P@1/P@10 with their chance levels, pooled over folds.
2. Ablation on the ranking protocol (random 8:1:1 split + 10% of items cold): fusion only,
   + alignment loss, + cross-attention c_uv, both; Recall@20 / NDCG@20 on warm and cold test
   items with 95% bootstrap intervals, per seed.
3. Missing covers: 30% of the covers hidden at scoring time; full-protocol metrics with the cover
   present, masked, mean-filled, or borrowed through retrieval (aligned vs. random heads).
   (``--reference`` adds notebook 03's FusedRecommender to the ablation, for comparison.)
4. Time of full ranking (every user x every item) with c_uv, and training time per model.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
import torch

from mmrec_tutorial import crossmodal as cm
from mmrec_tutorial.data import random_split, sample_data_dir, with_cold_items
from mmrec_tutorial.device import describe_device
from mmrec_tutorial.evaluation import evaluate_models, missing_modality_table
from mmrec_tutorial.fusion import make_fusion
from mmrec_tutorial.models import ItemContent
from mmrec_tutorial.models.crossmodal_ranker import CrossModalRanker
from mmrec_tutorial.models.zoo import build_model
from mmrec_tutorial.train import TrainConfig

from _common import add_device_options, sample_with_features  # benchmarks/_common.py

PAIRS = [("text", "image"), ("text", "audio"), ("image", "audio")]


def retrieval_cv(features, masks, traits, folds: int, seed: int, device) -> pd.DataFrame:
    n = len(next(iter(features.values())))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    gallery_traits = {"image": traits["style"].to_numpy(), "audio": traits["mood"].to_numpy()}
    tables = []
    for k in range(folds):
        held = order[k * n // folds:(k + 1) * n // folds].sort().values
        train = torch.cat([order[:k * n // folds], order[(k + 1) * n // folds:]]).sort().values
        res = cm.fit_alignment(features, masks, train, cm.AlignmentConfig(seed=seed, device=device, progress=False))
        methods = {"before: random heads": res.before.embed(features),
                   "least squares (ridge)": cm.least_squares_baseline(features, masks, train, PAIRS),
                   "after: InfoNCE": res.model.embed(features)}
        table = cm.retrieval_table(methods, masks, held, PAIRS, gallery_traits)
        table["fold"], table["best_epoch"], table["seconds"] = k, res.best_epoch, res.seconds
        tables.append(table)
    full = pd.concat(tables)
    metrics = ["R@1", "R@10", "chance R@10", "MRR", "trait P@1", "trait P@10", "chance trait P@10"]
    # every fold has about the same number of queries: the mean over folds is the pooled mean
    out = full.groupby(["pair", "method"], sort=False)[metrics].mean()
    out["queries"] = full.groupby(["pair", "method"], sort=False)["items"].sum()
    return out


def ranker_factory(encoded, n_users, n_items, cross, align_weight, dim, max_len):
    def build():
        content = ItemContent(encoded, dim=dim, fusion=make_fusion("learned_sum", encoded.modalities, dim))
        return CrossModalRanker(n_users, n_items, content, cross=cross, align_weight=align_weight, max_len=max_len)
    return build


def missing_covers(models, split, features, masks, seed: int, device) -> pd.DataFrame:
    order = torch.randperm(len(masks["image"]), generator=torch.Generator().manual_seed(seed))
    n_train = int(0.8 * len(order))
    align = cm.fit_alignment(features, masks, order[:n_train].sort().values,
                             cm.AlignmentConfig(seed=seed, device=device, progress=False))
    spaces = {"aligned (InfoNCE)": align.model.embed(features), "random heads": align.before.embed(features)}
    rng = np.random.default_rng(seed)
    with_cover = torch.nonzero(masks["image"]).flatten().numpy()
    hide = torch.from_numpy(np.sort(rng.choice(with_cover, size=int(0.3 * len(with_cover)), replace=False)))
    available = masks["image"].clone()
    available[hide] = False
    table = missing_modality_table(models, split, "image", hide, available, spaces, device=device)
    return table.set_index(["model", "cover"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="notebook 04's QUICK settings")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--folds", type=int, default=5)
    add_device_options(parser, threads=None)
    parser.add_argument("--json", default=None, help="write every figure to this file")
    parser.add_argument("--reference", action="store_true",
                        help="add notebook 03's FusedRecommender (model zoo defaults) as a reference row")
    args = parser.parse_args()
    device, catalog, encoded = sample_with_features(args, args.quick)
    epochs = 6 if args.quick else 20
    print(f"device: {describe_device(device)}; quick: {args.quick}; epochs: {epochs}; seeds: {args.seeds}")
    features, masks = encoded.features, encoded.masks
    traits = pd.read_csv(sample_data_dir() / "traits.csv").set_index("item_id").loc[catalog.items["item_id"]]
    pd.set_option("display.width", 200)
    report: dict = {"device": describe_device(device), "quick": args.quick, "epochs": epochs}

    start = time.perf_counter()
    retrieval = retrieval_cv(features, masks, traits, args.folds, args.seeds[0], device)
    print(f"\n## Retrieval, {args.folds}-fold over items ({time.perf_counter() - start:.0f} s)\n")
    print(retrieval.round(3).to_string())
    report["retrieval"] = retrieval.reset_index().to_dict(orient="records")

    report["ablation"], report["missing"] = [], []
    for seed in args.seeds:
        split = with_cold_items(random_split(catalog.interactions, catalog.n_users, catalog.n_items, seed=seed),
                                cold_frac=0.1, seed=seed)
        args_common = (encoded, catalog.n_users, catalog.n_items)
        variants = {"fusion only": ranker_factory(*args_common, False, 0.0, 64, 20),
                    "+ alignment loss": ranker_factory(*args_common, False, 0.1, 64, 20),
                    "+ cross-attention c_uv": ranker_factory(*args_common, True, 0.0, 64, 20),
                    "both": ranker_factory(*args_common, True, 0.1, 64, 20)}
        if args.reference:
            variants["FusedRecommender (zoo)"] = lambda: build_model("fusion", catalog.n_users, catalog.n_items, encoded)
        cfg = TrainConfig(epochs=epochs, batch_size=1024, lr=5e-3, reg=1e-4, patience=3 if args.quick else 4,
                          progress=False)
        comparison = evaluate_models(variants, split, cfg, seed=seed, device=device, n_boot=1000, progress=False)
        print(f"\n## Ablation, seed {seed}: {split.name}\n")
        print(comparison.to_markdown(("recall@20", "ndcg@20")))
        print(comparison.table[["best_epoch", "train_seconds"]].xs("all", level="subset").round(1).to_string())
        for model_name, model in comparison.models.items():
            if isinstance(model, CrossModalRanker):
                print(f"{model_name}: learned δ = {float(model.delta.value.detach()):.3f}")
        report["ablation"].append(json.loads(comparison.to_json()))

        model = comparison.models["both"]
        with torch.no_grad():
            model.full_scores(torch.arange(8, device=device))  # warm-up
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                for chunk in torch.arange(catalog.n_users, device=device).split(128):
                    model.full_scores(chunk)
                if device.type == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - t0)
        print(f"\nfull ranking with c_uv, {catalog.n_users} users x {catalog.n_items} items: "
              f"best {min(times):.3f} s, worst {max(times):.3f} s of 3")
        report.setdefault("full_ranking_seconds", []).append(times)

        missing = missing_covers({k: comparison.models[k] for k in ("fusion only", "both")}, split, features, masks,
                                 seed, device)
        print(f"\n## 30% of covers hidden at scoring time, seed {seed} (full protocol, all test items)\n")
        print(missing.round(4).to_string())
        report["missing"].append(missing.reset_index().assign(seed=seed).to_dict(orient="records"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2, default=float)


if __name__ == "__main__":
    main()
