"""How far can better content go on the sample's warm items? (issue 6's warm target)

    python benchmarks/warm_ceiling.py                  # seeds 0-2, full training, one thread
    python benchmarks/warm_ceiling.py --seeds 0 --device cuda

On the split of notebooks 05 and 06 (random 8:1:1 per user, 10% of the items held out as cold),
with every model trained to convergence (default configs, up to 100 epochs, early stopping on
validation Recall@20), test Recall@20 on warm and cold items of:

* BPR-MF (IDs only);
* VBPR, the multimodal two-tower ("fusion") and the cross-modal ranker on the **encoded**
  features (MiniLM text, EfficientNet-Lite0 covers, GRU audio: what the course uses);
* the same three on **perfect content**: the generator's hidden item traits as one-hot features
  (genre + format as "text", style as "image", mood as "audio") — what an ideal encoder could
  give. No encoder can tell a model more about an item than this;
* the **oracle**: ranking by the generator's expected utility (``generator.expected_utility``,
  the users' true tastes), an upper bound for any recommender.

If the perfect-content models do not beat BPR-MF on warm items either, the gap is not the
encoders' fault: the IDs of warm items already learned from their interactions what content
could say, and what is left to gain (the oracle's margin) is on the users' side.
"""

from __future__ import annotations

import argparse
import functools

import pandas as pd
import torch

from mmrec_tutorial.data import random_split, with_cold_items
from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.data.generator import expected_utility
from mmrec_tutorial.device import describe_device
from mmrec_tutorial.evaluation import evaluate_models
from mmrec_tutorial.models.base import Recommender
from mmrec_tutorial.models.zoo import build_model, default_config
from mmrec_tutorial.train import TrainConfig

from _common import add_device_options, sample_with_features  # benchmarks/_common.py

CONTENT_MODELS = ("vbpr", "fusion", "crossmodal")


class FixedScores(Recommender):
    """Scores given in advance, ``(n_users, n_items)``: nothing to train (the oracle)."""

    trainable = False

    def __init__(self, scores: torch.Tensor) -> None:
        super().__init__(*scores.shape)
        self.register_buffer("scores", scores.float(), persistent=False)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.scores[users]


def trait_features(catalog) -> ItemFeatures:
    """The hidden traits as one-hot "modalities" ``{m: (n_items, k)}``, all present."""
    traits = pd.read_csv(catalog.root / "traits.csv").set_index("item_id").loc[catalog.items["item_id"]]

    def one_hot(column: pd.Series) -> torch.Tensor:
        return torch.tensor(pd.get_dummies(column).to_numpy(), dtype=torch.float32)

    features = {"text": torch.cat([one_hot(traits["genre"]), one_hot(catalog.items["category"])], dim=1),
                "image": one_hot(traits["style"]), "audio": one_hot(traits["mood"])}
    return ItemFeatures.from_tensors(features, item_ids=catalog.items["item_id"], source="the generator's hidden traits")


def oracle_scores(catalog) -> torch.Tensor:
    """The generator's expected utility, rows and columns in the catalog's index order."""
    utility = expected_utility()
    users = [int(u[1:]) for u in catalog.users["user_id"]]
    items = [int(i[1:]) for i in catalog.items["item_id"]]
    return torch.tensor(utility[users][:, items])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    add_device_options(parser)
    args = parser.parse_args()
    device, catalog, encoded = sample_with_features(args)
    content = {"encoded": encoded, "perfect": trait_features(catalog)}
    lineup = [("BPR-MF", "bpr", None)] + [(f"{m}, {kind} content", m, kind) for kind in content
                                          for m in CONTENT_MODELS]
    print(f"# warm-item ceiling on the sample, {describe_device(device)}, seeds {args.seeds}")
    rows = []
    for seed in args.seeds:
        split = with_cold_items(random_split(catalog.interactions, catalog.n_users, catalog.n_items, seed=seed),
                                0.1, seed)
        runs = [(label, name, kind) for label, name, kind in lineup] + [("oracle (true tastes)", None, None)]
        for label, name, kind in runs:
            if name is None:
                source, config = (lambda: FixedScores(oracle_scores(catalog))), TrainConfig()
            else:
                source = functools.partial(build_model, name, catalog.n_users, catalog.n_items,
                                           content[kind] if kind else None)
                config = TrainConfig(**default_config(name))
            comparison = evaluate_models({label: source}, split, config, n_boot=1, seed=seed, device=device,
                                         progress=False)
            fitted = comparison.fits[label]
            epochs = "-" if name is None else f"{fitted.best_epoch}" + ("" if fitted.stopped_early else " (cap)")
            recall = comparison.table.loc[label, "recall@20"].to_dict()
            rows.append({"seed": seed, "model": label, "warm": recall["warm"], "cold": recall["cold"],
                         "best epoch": epochs})
            print(f"seed {seed} {label:32s} warm {recall['warm']:.4f} cold {recall['cold']:.4f} best epoch {epochs}",
                  flush=True)
    frame = pd.DataFrame(rows)
    print("\nRecall@20, mean over seeds:\n" + frame.groupby("model", sort=False)[["warm", "cold"]].mean().round(4)
          .to_string())
    warm = frame.pivot(index="seed", columns="model", values="warm")
    print("\nwarm Recall@20 minus BPR-MF's, per seed:\n"
          + warm.drop(columns="BPR-MF").sub(warm["BPR-MF"], axis=0).T.round(4).to_string())


if __name__ == "__main__":
    main()
