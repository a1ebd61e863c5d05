"""Item content, one object for every modality, and the names and text that go with it.

- :data:`MODALITIES`: the raw-media modalities of a catalog, in the order of α, β, γ;
- :func:`item_text`: the one way an item's text is built from its title and description;
- :class:`ItemFeatures`: *the* content object. Every dataset (``data.adapters``) and every
  encoder run (``encoders.encode_catalog``) hands item content over as one, and every content
  model takes one: per modality the ``(n_items, d_m)`` features and ``(n_items,)`` mask, the
  per-item problems (:class:`ItemProblem`) and where the vectors came from (``info``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import torch

#: The raw-media modalities of a catalog, in the order of the fusion weights α, β, γ
#: (z = α·h_text + β·h_img + γ·h_audio). Real datasets may bring other, precomputed ones.
MODALITIES: tuple[str, ...] = ("text", "image", "audio")


def clean_text(text: Any) -> str | None:
    """Strip a text; ``None``, NaN and blank strings become ``None`` (no text)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    text = str(text).strip()
    return text or None


def item_text(title: Any, description: Any) -> str | None:
    """The one text of an item, what the text encoder reads and the catalog shows:
    ``"<title>. <description>"`` (no extra full stop after a title that ends a sentence), either
    part alone when the other is missing, ``None`` when both are."""
    parts = [p for p in (clean_text(title), clean_text(description)) if p]
    if len(parts) == 2 and not parts[0].endswith((".", "!", "?")):
        return f"{parts[0]}. {parts[1]}"
    return " ".join(parts) or None


@dataclasses.dataclass(frozen=True)
class ItemProblem:
    """One finding about one item's input for one modality.

    ``kind`` is one of ``missing`` (no path / file not found), ``empty`` (empty text),
    ``corrupt`` / ``unreadable`` (cannot be decoded), ``silent`` (all-zero audio),
    ``converted`` (grayscale / RGBA / palette image turned into RGB), ``resampled`` (audio at
    another sampling rate), ``length`` (audio cropped or padded to the clip length).
    ``masked`` says whether the item lost this modality (mask ``False``) or was repaired.
    """

    index: int
    item_id: str | None
    modality: str
    kind: str
    detail: str
    masked: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemProblem:
        return cls(**data)


@dataclasses.dataclass
class ItemFeatures:
    """Item content: per-modality vectors, aligned by row with ``item_ids``.

    ``features[m]`` is ``(n_items, d_m)`` float32 (rows of items without ``m`` filled, see
    ``info[m]["fill"]``), ``masks[m]`` is ``(n_items,)`` bool (``True`` = the item really has
    modality ``m``), ``problems[m]`` lists what was wrong with which item, and ``info[m]``
    says where the vectors came from (which encoder and config, or which file), whether they
    came from the cache, and how long they took.
    """

    item_ids: list[str]
    features: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]
    problems: dict[str, list[ItemProblem]] = dataclasses.field(default_factory=dict)
    info: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.features, masks = dict(self.features), dict(self.masks)
        rows = {m: int(f.shape[0]) for m, f in self.features.items()}
        if any(f.ndim != 2 for f in self.features.values()) or set(rows.values()) - {len(self.item_ids)}:
            raise ValueError(f"every modality needs a 2-D (n_items, d) tensor with one row per item "
                             f"({len(self.item_ids)} items); got rows {rows}")
        for m, f in self.features.items():
            mask = masks.get(m)
            masks[m] = torch.ones(len(f), dtype=torch.bool) if mask is None else mask.to(torch.bool)
            if masks[m].shape != (len(f),):
                raise ValueError(f"mask of {m!r} must be ({len(f)},), got {tuple(masks[m].shape)}")
        self.masks = {m: masks[m] for m in self.features}

    @classmethod
    def from_tensors(cls, features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor] | None = None,
                     item_ids: Sequence[str] | None = None, source: str = "given tensors") -> ItemFeatures:
        """Content from plain tensors ``{m: (n, d_m)}`` (masks default: every item has every modality)."""
        n = len(next(iter(features.values()))) if features else 0
        ids = [str(i) for i in range(n)] if item_ids is None else [str(i) for i in item_ids]
        return cls(ids, dict(features), dict(masks or {}), {m: [] for m in features},
                   {m: {"source": source} for m in features})

    @property
    def modalities(self) -> list[str]:
        """The modality names, in order (the order of the fusion weights)."""
        return list(self.features)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def select(self, modalities: Sequence[str]) -> ItemFeatures:
        """The same content restricted to ``modalities`` (in that order)."""
        unknown = [m for m in modalities if m not in self.features]
        if unknown:
            raise KeyError(f"no modality {unknown[0]!r}; this content has {self.modalities}")
        return ItemFeatures(list(self.item_ids), {m: self.features[m] for m in modalities},
                            {m: self.masks[m] for m in modalities}, {m: self.problems.get(m, []) for m in modalities},
                            {m: self.info.get(m, {}) for m in modalities})

    def merged(self, other: ItemFeatures) -> ItemFeatures:
        """This content plus ``other``'s modalities (same items; ``other`` wins on a shared name)."""
        if list(other.item_ids) != list(self.item_ids):
            raise ValueError("merged: the two contents describe different items")
        return ItemFeatures(list(self.item_ids), {**self.features, **other.features}, {**self.masks, **other.masks},
                            {**self.problems, **other.problems}, {**self.info, **other.info})

    @property
    def dims(self) -> dict[str, int]:
        """``{modality: d_m}``."""
        return {m: int(f.shape[1]) for m, f in self.features.items()}

    def __len__(self) -> int:
        return len(self.item_ids)

    def problems_frame(self) -> pd.DataFrame:
        """One row per problem: modality, index, item_id, kind, detail, masked."""
        rows = [p.to_dict() for ps in self.problems.values() for p in ps]
        cols = ["modality", "index", "item_id", "kind", "detail", "masked"]
        return pd.DataFrame(rows, columns=cols)[cols] if rows else pd.DataFrame(columns=cols)

    def coverage(self) -> pd.DataFrame:
        """Per modality: dim, items with the modality, share, fill strategy, encoder, cached."""
        rows = []
        for m, f in self.features.items():
            mask = self.masks[m]
            info = self.info.get(m, {})
            rows.append({"modality": m, "dim": int(f.shape[1]), "present": int(mask.sum()),
                         "share": round(float(mask.float().mean()) if len(mask) else 0.0, 3),
                         "fill": info.get("fill"), "encoder": info.get("encoder"),
                         "from_cache": info.get("from_cache")})
        return pd.DataFrame(rows)

    def to(self, device: torch.device | str) -> ItemFeatures:
        """A copy with every tensor on ``device``."""
        return dataclasses.replace(self, features={m: f.to(device) for m, f in self.features.items()},
                                   masks={m: k.to(device) for m, k in self.masks.items()})
