"""A tiny grid search, on validation only.

    from mmrec_tutorial.evaluation import sweep
    table = sweep(lambda **kw: build_model("vbpr", n_users, n_items, content, **kw), split,
                  {"lr": [1e-3, 5e-3], "reg": [1e-5, 1e-4], "dim": [32, 64]}, TrainConfig(epochs=40))
    table.head()   # best first, by validation Recall@20

Every point of the grid is a full ``train.fit`` run (same seed, early stopping). Grid keys that
are ``TrainConfig`` fields (``lr``, ``reg``, ``batch_size``, ...) change the training; all
other keys are passed to ``build`` as model arguments. The test part of the split is never
touched: evaluate the winner once, afterwards, with ``evaluation.evaluate_models``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from ..data.splits import Split
from ..device import seed_everything
from ..models.base import Recommender
from ..train import TrainConfig, fit

_CONFIG_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in order: ``{"a": [1, 2], "b": [3]}`` ->
    ``[{"a": 1, "b": 3}, {"a": 2, "b": 3}]``."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def sweep(build: Callable[..., Recommender], split: Split, grid: Mapping[str, Sequence[Any]],
          base: TrainConfig | None = None, progress: bool = True) -> pd.DataFrame:
    """Train one model per grid point and rank the points by the best validation ``base.metric``.

    Returns one row per point: the grid values, ``valid_<metric>`` columns of the best epoch,
    ``best_epoch`` and ``seconds``, sorted best first.
    """
    base = base or TrainConfig()
    rows = []
    for point in tqdm(grid_points(grid), desc="sweep", disable=not progress):
        cfg_args = {k: v for k, v in point.items() if k in _CONFIG_FIELDS}
        model_args = {k: v for k, v in point.items() if k not in _CONFIG_FIELDS}
        seed_everything(base.seed)
        result = fit(build(**model_args), split, dataclasses.replace(base, progress=False, **cfg_args))
        rows.append({**point, **{f"valid_{k}": v for k, v in result.best_valid.items()},
                     "best_epoch": result.best_epoch, "seconds": result.seconds})
    return pd.DataFrame(rows).sort_values(f"valid_{base.metric}", ascending=False, ignore_index=True)
