"""One comparison table for a set of rankers, under one protocol, with warm and cold rows.

Three entry points, each a step wider than the one before (all rank with
``metrics.evaluate_full_ranking``, the only ranking code):

- :func:`evaluate_trained`: one trained model, one part of a split (test by default);
- :func:`evaluate_subsets`: one trained model, the all / warm / cold rows below;
- :func:`evaluate_models`: train every model with ``train.fit`` and compare them in one table.

``evaluate_models(models, split)`` trains every model with the one loop of ``train.fit``
(early stopping on validation Recall@20), ranks all items for every test user (training items
masked), and returns a :class:`Comparison` whose ``table`` has one row per (model, subset):

- ``all``: every test interaction;
- ``warm``: test interactions whose item has at least one training interaction;
- ``cold``: test interactions whose item has none (only its content can place it).

Each subset is ranked against the whole catalog with the user's training items masked, and
also the user's test items of the *other* subset masked, so that a cold hit is not penalised
for the warm test items ranked above it (and vice versa). Empty subsets are left out, and so is
``warm`` when there is no cold test item (it would repeat ``all``).
Every metric is the mean over users with a 95% percentile-bootstrap interval over users
(``<metric>_lo``, ``<metric>_hi``); coverage@K is a catalog-level number without an interval.

``data.splits.with_cold_items(split)`` turns a per-user random split into one with both warm and
cold test items, so that one training run fills both rows.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import torch

from ..data.splits import TEST, TRAIN, Split, UserItemSets
from ..device import pick_device, seed_everything
from ..metrics import PROTOCOL, RankingResult, evaluate_full_ranking
from ..models.base import Recommender
from ..train import TrainConfig, TrainResult, eval_device, fit

SUBSETS = ("all", "warm", "cold")
#: Metrics of the table at the default K = 10, 20, in column order (each with ``_lo`` / ``_hi``).
TABLE_METRICS = ("recall@10", "recall@20", "ndcg@10", "ndcg@20", "precision@10", "precision@20", "auc")


def table_metrics(ks: Sequence[int]) -> tuple[str, ...]:
    """Recall, NDCG and Precision at every K, then AUC (``TABLE_METRICS`` for K = 10, 20)."""
    return tuple(f"{m}@{k}" for m in ("recall", "ndcg", "precision") for k in ks) + ("auc",)
TABLE_PROTOCOL = (PROTOCOL + "; model selection on validation Recall@20; rows: all / warm (item seen in "
                  "training) / cold (item never seen in training) test interactions, the other subset's "
                  "test items masked; mean [95% bootstrap interval over users]")

ModelSource = Recommender | Callable[[], Recommender]


def evaluate_trained(model: Recommender, split: Split, part: int = TEST, ks: Sequence[int] = (10, 20),
                     device: torch.device | str | None = None, users: torch.Tensor | None = None) -> RankingResult:
    """Full-ranking metrics of a trained ``model`` on one part of ``split`` (training items masked).

    ``device=None`` scores where the model's tensors live (a model trained on the CPU is
    evaluated there even when a GPU is present); a given device moves the model there.
    ``users`` ``(b,)``: only these users (default: every user with items in ``part``).
    """
    device = eval_device(model, device)
    model.eval()
    return evaluate_full_ranking(model.full_scores, split.sets(part), split.sets(TRAIN), ks=ks, device=device,
                                 users=users)


def subset_interactions(split: Split) -> dict[str, pd.DataFrame]:
    """The test interactions split into ``all`` / ``warm`` / ``cold`` (see the module docstring)."""
    test = split.test
    warm = split.trained_items().numpy()[test["item_idx"].to_numpy()]
    return {"all": test, "warm": test[warm], "cold": test[~warm]}


def _sets(frame: pd.DataFrame, split: Split) -> UserItemSets:
    return UserItemSets.from_frame(frame, split.n_users, split.n_items)


def evaluate_subsets(model: Recommender, split: Split, ks: Sequence[int] = (10, 20),
                     device: torch.device | str | None = None,
                     subsets: Sequence[str] = SUBSETS) -> dict[str, RankingResult]:
    """Full-ranking test metrics of a trained ``model`` on each non-empty subset.

    Sequence models first get the history that ends just before the test item (train + valid).
    """
    device = eval_device(model, device)
    model.eval()
    if model.needs_sequences and hasattr(model, "set_history"):
        model.set_history(pd.concat([split.train, split.valid]))
    parts = subset_interactions(split)
    out = {}
    for name in subsets:
        relevant = parts[name]
        if relevant.empty or (name == "warm" and parts["cold"].empty):  # warm = all then: no row twice
            continue
        other = parts["cold" if name == "warm" else "warm"] if name != "all" else relevant.iloc[:0]
        exclude = _sets(pd.concat([split.train, other]), split)
        out[name] = evaluate_full_ranking(model.full_scores, _sets(relevant, split), exclude, ks=ks, device=device)
    return out


def summarize(result: RankingResult, n_boot: int = 1000, seed: int = 0,
              metrics: Sequence[str] | None = None) -> dict[str, float]:
    """Means, bootstrap bounds (``_lo``/``_hi``) and coverage of one ``RankingResult`` as a flat dict
    (``metrics`` default: :func:`table_metrics` of the result's K)."""
    metrics = table_metrics(result.ks) if metrics is None else metrics
    means, ci = result.mean(), result.bootstrap_ci(n_boot=n_boot, seed=seed)
    row: dict[str, float] = {"users": len(result.users)}
    for m in metrics:
        if m in means:
            row[m], (row[f"{m}_lo"], row[f"{m}_hi"]) = means[m], ci[m]
    row.update({f"coverage@{k}": v for k, v in result.coverage.items()})
    return row


@dataclasses.dataclass
class Comparison:
    """The outcome of :func:`evaluate_models`.

    ``table``: one row per (model, subset), index ``(model, subset)``; columns ``split``, ``users``, every
    metric of :func:`table_metrics` with ``_lo``/``_hi``, ``coverage@K``, ``best_epoch``,
    ``train_seconds``. ``results[(model, subset)]`` keeps the per-user metrics, ``fits[model]``
    the training histories, ``models[model]`` the trained models.
    """

    table: pd.DataFrame
    results: dict[tuple[str, str], RankingResult]
    fits: dict[str, TrainResult]
    models: dict[str, Recommender]
    split_name: str
    protocol: str = TABLE_PROTOCOL

    def formatted(self, metrics: Sequence[str] = ("recall@20", "ndcg@20", "precision@20", "auc"),
                  digits: int = 3) -> pd.DataFrame:
        """The table as text cells ``mean [lo, hi]`` for reading (and for Markdown)."""
        out = pd.DataFrame(index=self.table.index)
        if self.table["split"].nunique() > 1:
            out["split"] = self.table["split"]
        out["users"] = self.table["users"].astype(int)
        for m in metrics:
            col = self.table[m]
            if f"{m}_lo" in self.table:
                out[m] = [f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]" for v, lo, hi in
                          zip(col, self.table[f"{m}_lo"], self.table[f"{m}_hi"])]
            else:
                out[m] = [f"{v:.{digits}f}" for v in col]
        return out

    def subset_results(self, subset: str = "all") -> dict[str, RankingResult]:
        """``{model: per-user results}`` of one subset (``all``, ``warm`` or ``cold``), in model order."""
        return {name: result for (name, part), result in self.results.items() if part == subset}

    def capped(self) -> list[str]:
        """Models whose training ran out of epochs before early stopping (see ``TrainResult.stopped_early``)."""
        return [name for name, result in self.fits.items() if not result.stopped_early]

    def cap_notes(self) -> list[str]:
        """One warning per :meth:`capped` model, to print next to the table."""
        return [f"{name}: training stopped at the epoch cap ({int(self.fits[name].history['epoch'].max())} epochs), "
                f"not by early stopping: it may still have been improving; raise the cap (or run without QUICK) "
                f"before trusting its row" for name in self.capped()]

    def to_markdown(self, metrics: Sequence[str] = ("recall@10", "recall@20", "ndcg@10", "ndcg@20", "precision@20",
                                                    "auc", "coverage@20"), digits: int = 4) -> str:
        """A GitHub Markdown table with the protocol line under it."""
        frame = self.formatted(metrics, digits).reset_index()
        lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
        return "\n".join(lines) + f"\n\nSplit: {self.split_name}. Protocol: {self.protocol}.\n"

    @staticmethod
    def merge(parts: Sequence["Comparison"]) -> "Comparison":
        """One comparison from several (e.g. ID/content models on one split, sequence models on another)."""
        if len(parts) == 1:
            return parts[0]
        names = list(dict.fromkeys(p.split_name for p in parts))
        return Comparison(pd.concat([p.table for p in parts]), {k: v for p in parts for k, v in p.results.items()},
                          {k: v for p in parts for k, v in p.fits.items()},
                          {k: v for p in parts for k, v in p.models.items()}, " | ".join(names))

    def to_json(self, meta: Mapping[str, object] | None = None) -> str:
        """Every number of the table, as ``{"split", "protocol", "rows": [{model, subset, ...}]}``,
        plus ``meta`` (e.g. the data spec, seed, models and versions of the run) when given."""
        rows = self.table.reset_index().to_dict(orient="records")
        out = {**({"meta": dict(meta)} if meta else {}), "split": self.split_name, "protocol": self.protocol,
               "rows": rows}
        return json.dumps(out, indent=2, default=float)


def evaluate_models(models: Mapping[str, ModelSource], split: Split,
                    configs: TrainConfig | Mapping[str, TrainConfig] | None = None, ks: Sequence[int] = (10, 20),
                    n_boot: int = 1000, seed: int = 0, device: torch.device | str | None = None,
                    progress: bool = True) -> Comparison:
    """Train and evaluate every model on ``split``; see the module docstring.

    ``models``: name -> a ``Recommender`` or a zero-argument factory (called after seeding, so
    initial weights are reproducible). ``configs``: one ``TrainConfig`` for all, or one per name
    (missing names get ``TrainConfig()``); ``seed`` and ``device`` override theirs.
    """
    device = pick_device(device)
    fits, trained, results, rows = {}, {}, {}, []
    for name, source in models.items():
        cfg = configs.get(name, TrainConfig()) if isinstance(configs, Mapping) else (configs or TrainConfig())
        cfg = dataclasses.replace(cfg, seed=seed, device=device, progress=progress and cfg.progress)
        seed_everything(seed)
        model = source() if not isinstance(source, Recommender) else source
        fits[name] = fit(model, split, cfg)
        trained[name] = fits[name].model
        for subset, result in evaluate_subsets(trained[name], split, ks, device).items():
            results[(name, subset)] = result
            rows.append({"model": name, "subset": subset, "split": split.name, **summarize(result, n_boot, seed),
                         "best_epoch": fits[name].best_epoch, "train_seconds": fits[name].seconds})
    table = pd.DataFrame(rows).set_index(["model", "subset"])
    return Comparison(table, results, fits, trained, split.name)
