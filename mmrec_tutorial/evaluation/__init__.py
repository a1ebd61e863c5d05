"""The one door to "train these models on this split and compare them".

- :mod:`.comparison`: :func:`evaluate_models` (models + split -> :class:`Comparison`, one row per
  model and all / warm / cold subset, bootstrap intervals, Markdown and JSON);
- :mod:`.experiment`: :func:`run_experiment` (dataset spec -> features -> splits -> comparison),
  what the CLI and notebook 06 call;
- :mod:`.missing_modality`: a trained model's metrics with one modality hidden or replaced;
- :mod:`.sweep`: a grid search on validation only.
"""

from .comparison import (SUBSETS, TABLE_METRICS, TABLE_PROTOCOL, Comparison, ModelSource, evaluate_models,
                         evaluate_subsets, evaluate_trained, subset_interactions, summarize, table_metrics)
from .experiment import (DEFAULT_MODELS, QUICK_EPOCHS, SPLIT_KINDS, Experiment, item_features, make_split,
                         run_experiment)
from .missing_modality import missing_modality_table, stand_ins
from .sweep import grid_points, sweep

__all__ = ["SUBSETS", "TABLE_METRICS", "TABLE_PROTOCOL", "Comparison", "ModelSource", "evaluate_models",
           "evaluate_subsets", "evaluate_trained", "subset_interactions", "summarize", "table_metrics", "DEFAULT_MODELS",
           "QUICK_EPOCHS", "SPLIT_KINDS", "Experiment", "item_features", "make_split", "run_experiment",
           "missing_modality_table", "stand_ins", "grid_points", "sweep"]
