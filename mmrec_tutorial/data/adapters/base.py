"""The structure every dataset adapter returns: interactions, items, optional precomputed features."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from ..catalog import Catalog, CleaningReport
from ..modalities import MODALITIES, ItemFeatures
from ..splits import Split

ITEM_COLUMNS = ("item_idx", "item_id", "title", "description", "text", "image", "audio", "has_text", "has_image",
                "has_audio")


class DatasetUnavailableError(FileNotFoundError):
    """A dataset's files are not on disk and cannot be fetched; the message says where to put them."""


class DatasetFormatError(ValueError):
    """A dataset's files are there but do not have the expected format; the message says what is wrong."""


@dataclasses.dataclass
class RecDataset:
    """A recommendation dataset in the package's terms.

    ``interactions``: one row per (user, item) with columns user_idx, item_idx, rating, timestamp
    (and x_label when the source fixes the split, as MMRec's files do). ``items``: the columns of
    :data:`ITEM_COLUMNS` (title and description make the text the text encoder reads; ``text`` is
    the joined text, for display; media paths are relative to ``root``, or None).
    ``content``: the precomputed item content, one :class:`~mmrec_tutorial.data.modalities.ItemFeatures`
    (e.g. MMRec's ``text_feat.npy``), or ``None``; encoders add the raw media's modalities
    (``evaluation.item_features``). ``catalog`` is set for catalogs of the course's own format, and
    ``report`` with it: every row cleaning dropped, repaired or masked.
    """

    name: str
    n_users: int
    n_items: int
    interactions: pd.DataFrame
    items: pd.DataFrame
    root: Path | None = None
    content: ItemFeatures | None = None
    source: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    catalog: Catalog | None = None
    report: CleaningReport | None = None

    @property
    def has_given_split(self) -> bool:
        """Whether the source fixes train/valid/test (an ``x_label`` column)."""
        return "x_label" in self.interactions.columns

    @property
    def has_timestamps(self) -> bool:
        """Whether the interactions carry real times (more than one distinct timestamp)."""
        return "timestamp" in self.interactions and self.interactions["timestamp"].nunique() > 1

    def given_split(self) -> Split:
        """The source's own split (MMRec's ``x_label``); raises when there is none."""
        if not self.has_given_split:
            raise ValueError(f"{self.name} has no given split; use random_split / temporal_split")
        return Split(f"{self.name}: the published split (x_label)", self.interactions.copy(), self.n_users, self.n_items)

    def summary(self) -> dict[str, object]:
        """Counts for a quick look: users, items, interactions, density, modalities."""
        n = len(self.interactions)
        given = self.content.modalities if self.content is not None else []
        modalities = given + [m for m in MODALITIES if m not in given and self.items[f"has_{m}"].any()]
        return {"dataset": self.name, "users": self.n_users, "items": self.n_items, "interactions": n,
                "density": n / max(1, self.n_users * self.n_items), "modalities": ", ".join(modalities)}


def empty_items(n_items: int, item_ids: list[str] | None = None) -> pd.DataFrame:
    """An items table without content: ids only, every modality absent."""
    ids = item_ids if item_ids is not None else [str(i) for i in range(n_items)]
    return pd.DataFrame({"item_idx": np.arange(n_items), "item_id": ids, "title": [""] * n_items,
                         "description": [""] * n_items, "text": [None] * n_items, "image": [None] * n_items, "audio": [None] * n_items,
                         "has_text": False, "has_image": False, "has_audio": False})


def from_catalog(catalog: Catalog, name: str = "sample", report: CleaningReport | None = None) -> RecDataset:
    """A :class:`RecDataset` view of a course catalog (the sample, or one from ``generate_catalog``)."""
    items = catalog.items.copy()
    items["text"] = items["text"].where(items["has_text"], None)
    inter = catalog.interactions[["user_idx", "item_idx", "rating", "timestamp"]].copy()
    return RecDataset(name, catalog.n_users, catalog.n_items, inter, items[list(ITEM_COLUMNS)], root=catalog.root,
                      source=f"course catalog ({name})", catalog=catalog, report=report)


def keep_first_pairs(frame: pd.DataFrame, notes: list[str], what: str) -> pd.DataFrame:
    """Drop repeated (user, item) rows, keeping the first, and say how many went."""
    dup = frame.duplicated(["user_idx", "item_idx"], keep="first")
    if dup.any():
        notes.append(f"{what}: {int(dup.sum())} repeated user-item rows dropped (the first one kept)")
    return frame[~dup].reset_index(drop=True)


__all__ = ["ITEM_COLUMNS", "DatasetFormatError", "DatasetUnavailableError", "RecDataset", "empty_items",
           "from_catalog", "keep_first_pairs"]
