"""The one door to "train these models on this split and compare them".

- :mod:`.comparison`: :func:`evaluate_models` (models + split -> :class:`Comparison`, one row per
  model and all / warm / cold subset, bootstrap intervals, Markdown and JSON);
- :mod:`.experiment`: :func:`run_experiment` (dataset spec -> features -> splits -> comparison),
  what the CLI and notebook 06 call;
- :mod:`.sweep`: a grid search on validation only.
"""

from .comparison import (SUBSETS, TABLE_METRICS, TABLE_PROTOCOL, Comparison, ModelSource, evaluate_models,
                         evaluate_subsets, evaluate_trained, subset_interactions, summarize, table_metrics)
from .experiment import (DEFAULT_MODELS, QUICK_EPOCHS, SPLIT_KINDS, Experiment, item_features, make_split,
                         run_experiment)
from .sweep import grid_points, sweep

__all__ = ["SUBSETS", "TABLE_METRICS", "TABLE_PROTOCOL", "Comparison", "ModelSource", "evaluate_models",
           "evaluate_subsets", "evaluate_trained", "subset_interactions", "summarize", "table_metrics", "DEFAULT_MODELS",
           "QUICK_EPOCHS", "SPLIT_KINDS", "Experiment", "item_features", "make_split", "run_experiment",
           "grid_points", "sweep"]
