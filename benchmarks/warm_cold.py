"""The warm/cold trade-off of VBPR's content regulariser, against BPR-MF (issue 6's warm target).

    python benchmarks/warm_cold.py                          # seeds 0-2, lambda_E 0.1 0.3 1 3
    python benchmarks/warm_cold.py --seeds 0 --content-reg 0.1 3 --device cuda

For each seed: the sample's random 8:1:1 split with 10% of the items held out as cold (the split of
notebooks 05 and 06), BPR-MF and VBPR with each ``content_reg`` (VBPR's lambda_E, the L2 weight on
the projected content vectors E f_i; default 0.1) trained with their default configs (early
stopping on validation Recall@20 over all items), test Recall@20 on the warm and the cold subset
(full ranking, the other subset's test items masked). A small lambda_E lets the content term
carry the score — it ranks new items, but the warm ranking is worse than BPR-MF's; a large one
shrinks the content term until it only refines the ID factors — warm items gain, new items can
no longer compete with items that have an ID part.
"""

from __future__ import annotations

import argparse
import functools

import pandas as pd

from mmrec_tutorial.data import random_split, with_cold_items
from mmrec_tutorial.device import describe_device
from mmrec_tutorial.evaluation import evaluate_models
from mmrec_tutorial.models.zoo import build_model, default_config
from mmrec_tutorial.train import TrainConfig

from _common import add_device_options, sample_with_features  # benchmarks/_common.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--content-reg", type=float, nargs="+", default=[0.1, 0.3, 1.0, 3.0])
    add_device_options(parser)
    args = parser.parse_args()
    device, catalog, encoded = sample_with_features(args)
    print(f"# warm/cold trade-off on the sample, {describe_device(device)}, seeds {args.seeds}")
    lineup = [("bpr", {})] + [("vbpr", {"content_reg": c}) for c in args.content_reg]
    rows = []
    for seed in args.seeds:
        split = with_cold_items(random_split(catalog.interactions, catalog.n_users, catalog.n_items, seed=seed),
                                0.1, seed)
        for name, kwargs in lineup:
            label = name if not kwargs else f"vbpr, lambda_E={kwargs['content_reg']:g}"
            comparison = evaluate_models(
                {label: functools.partial(build_model, name, catalog.n_users, catalog.n_items, encoded, **kwargs)},
                split, TrainConfig(**default_config(name)), n_boot=1, seed=seed, device=device, progress=False)
            row = {"seed": seed, "model": label, "best epoch": comparison.fits[label].best_epoch}
            row.update({f"{subset} recall@20": comparison.table.loc[(label, subset), "recall@20"]
                        for subset in comparison.table.loc[label].index})
            rows.append(row)
            print(", ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()),
                  flush=True)
    frame = pd.DataFrame(rows)
    cols = ["all recall@20", "warm recall@20", "cold recall@20"]
    print("\nmean over seeds:\n" + frame.groupby("model", sort=False)[cols].mean().round(4).to_string())
    warm = frame.pivot(index="seed", columns="model", values="warm recall@20")
    diff = warm.drop(columns="bpr").sub(warm["bpr"], axis=0)
    print("\nwarm recall@20 minus BPR-MF's, per seed:\n" + diff.T.round(4).to_string())


if __name__ == "__main__":
    main()
