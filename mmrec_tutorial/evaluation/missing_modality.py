"""What a trained content model loses when some items miss a modality, and what stand-ins win back.

For the test interactions of a split, a trained model that holds an
:class:`~mmrec_tutorial.models.content.ItemContent` is scored with the ``modality`` of the items
``hide`` replaced in one of these ways (each restored afterwards):

- ``present``: nothing replaced (the reference);
- ``masked``: the modality marked missing, as if the file were absent (fusion renormalises);
- ``mean fill``: the mean of the available items' (standardised) features;
- ``borrowed via <space>``: the mean features of the ``k`` available items whose ``modality``
  vectors are nearest to the item's ``query`` vector in a cross-modal space (e.g. an aligned one,
  :func:`~mmrec_tutorial.crossmodal.borrow_by_retrieval`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import torch

from ..crossmodal.missing import borrow_by_retrieval
from ..data.splits import Split
from ..models.base import Recommender
from ..models.content import ItemContent
from .comparison import evaluate_trained

Space = Mapping[str, torch.Tensor]


def stand_ins(content: ItemContent, modality: str, hide: torch.Tensor, available: torch.Tensor,
              spaces: Mapping[str, Space], query: str = "text", k: int = 10) -> dict[str, torch.Tensor | None]:
    """The replacement of each way (module docstring) for the ``hide`` ``(h,)`` items: ``None`` for
    ``present`` and ``masked``, else stand-in rows ``(h, d_m)`` in ``content``'s standardised space.
    ``available`` ``(n_items,)`` bool: items that may be borrowed from or averaged."""
    feat = content.feature(modality)
    ways: dict[str, torch.Tensor | None] = {"present": None, "masked": None,
                                            "mean fill": feat[available].mean(0, keepdim=True).expand(len(hide), -1)}
    for label, space in spaces.items():
        ways[f"borrowed via {label}"] = borrow_by_retrieval(space[query][hide], space[modality], feat, available, k=k)[0]
    return ways


def missing_modality_table(models: Mapping[str, Recommender], split: Split, modality: str, hide: torch.Tensor,
                           available: torch.Tensor, spaces: Mapping[str, Space], query: str = "text", k: int = 10,
                           device: torch.device | str | None = None) -> pd.DataFrame:
    """Test Recall@20 and NDCG@20 of every model (each with a ``content`` tower) under every way:
    one row per (model, way), columns ``model``, ``cover``, ``recall@20``, ``ndcg@20``."""
    rows = []
    for name, model in models.items():
        for way, rows_in in stand_ins(model.content, modality, hide, available, spaces, query, k).items():
            if way == "present":
                means = evaluate_trained(model, split, device=device).mean()
            else:
                with model.content.replaced_modality(modality, hide, rows_in):
                    means = evaluate_trained(model, split, device=device).mean()
            rows.append({"model": name, "cover": way, "recall@20": means["recall@20"], "ndcg@20": means["ndcg@20"]})
    return pd.DataFrame(rows)
