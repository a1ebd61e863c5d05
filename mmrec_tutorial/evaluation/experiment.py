"""The experiment: a dataset spec -> item features -> splits -> models -> one comparison table.

``run_experiment("sample", ["bpr", "vbpr"])`` is what ``mmrec-tutorial evaluate`` and notebook 06
run: load the data through ``data.adapters.load_dataset``, encode (or read) the item content,
make the split each model needs, train every model with its default config from ``models.zoo``
and compare them with :func:`~.comparison.evaluate_models`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from pathlib import Path

import torch

from ..data.adapters import RecDataset, load_dataset
from ..data.modalities import MODALITIES, ItemFeatures
from ..data.splits import Split, cold_start_split, random_split, temporal_split, with_cold_items
from ..device import pick_device
from ..models.zoo import CONTENT_MODELS, SEQUENCE_MODELS, build_model, default_config
from ..train import TrainConfig
from .comparison import Comparison, ModelSource, evaluate_models

SPLIT_KINDS = ("auto", "given", "given+cold", "random", "warm+cold", "temporal", "cold")
DEFAULT_MODELS = ("popularity", "bpr", "deepmf", "vbpr", "fusion")
QUICK_EPOCHS = 20


def make_split(dataset: RecDataset, kind: str = "auto", seed: int = 0, cold_frac: float = 0.1) -> Split:
    """The split of ``kind`` for ``dataset``:

    ``given`` the source's own (MMRec's ``x_label``); ``given+cold`` the same with ``cold_frac``
    of the items held out (:func:`with_cold_items`); ``random`` per-user 8:1:1; ``warm+cold``
    random 8:1:1 with ``cold_frac`` of the items held out (:func:`with_cold_items`);
    ``temporal`` leave-last-out; ``cold`` whole items held out only; ``auto`` = ``given`` when
    the source has one, else ``warm+cold``.
    """
    if kind not in SPLIT_KINDS:
        raise ValueError(f"split must be one of {SPLIT_KINDS}, got {kind!r}")
    if kind == "auto":
        kind = "given" if dataset.has_given_split else "warm+cold"
    inter, n_u, n_i = dataset.interactions.drop(columns="x_label", errors="ignore"), dataset.n_users, dataset.n_items
    if kind == "given":
        return dataset.given_split()
    if kind == "given+cold":
        return with_cold_items(dataset.given_split(), cold_frac, seed)
    if kind == "random":
        return random_split(inter, n_u, n_i, seed=seed)
    if kind == "warm+cold":
        return with_cold_items(random_split(inter, n_u, n_i, seed=seed), cold_frac, seed)
    if kind == "temporal":
        if not dataset.has_timestamps:
            raise ValueError(f"{dataset.name} has no timestamps: a temporal split is not possible")
        return temporal_split(inter, n_u, n_i)
    return cold_start_split(inter, n_u, n_i, cold_frac=cold_frac, seed=seed)


def item_features(dataset: RecDataset, modalities: Sequence[str] | None = None,
                  device: torch.device | str | None = None, cache_dir: str | Path | None = None,
                  quick: bool = False, progress: bool = True, encode: Sequence[str] = ()) -> ItemFeatures | None:
    """The item content of ``dataset``, one :class:`~mmrec_tutorial.data.modalities.ItemFeatures`
    (``None`` when it has none).

    Precomputed modalities (``dataset.content``, e.g. MMRec's ``.npy``) are used as they are; every
    other requested modality that the items have raw content for (text, image and audio files) is
    encoded with ``encoders.encode_catalog`` (cached on disk, so a second run is fast), and so are
    the raw modalities in ``encode`` even when a precomputed one of that name exists (e.g. the
    course's own text encoder on Last.fm 2K's tags). ``modalities=None`` takes all that are available.
    """
    given = dataset.content.modalities if dataset.content is not None else []
    available = given + [m for m in MODALITIES if m not in given and dataset.items[f"has_{m}"].any()]
    unknown = [m for m in (modalities or []) if m not in available]
    if unknown:
        raise ValueError(f"{dataset.name} has no modality {unknown[0]!r}; it has {', '.join(available) or 'none'}")
    wanted = list(modalities or available)
    to_encode = [m for m in wanted if m not in given or (m in encode and dataset.items[f"has_{m}"].any())]
    kept = [m for m in wanted if m not in to_encode]
    content = dataset.content.select(kept) if kept else None
    if to_encode:
        from ..encoders import encode_catalog  # noqa: PLC0415  (heavy: loads pretrained weights)

        encoded = encode_catalog(dataset.items, dataset.root, modalities=tuple(to_encode), device=device,
                                 cache_dir=cache_dir, quick=quick, progress=progress).select(to_encode)
        content = encoded if content is None else content.merged(encoded)
    return None if content is None else content.select(wanted)


@dataclasses.dataclass
class Experiment:
    """What :func:`run_experiment` did: the data, the item content, the splits and the table."""

    dataset: RecDataset
    content: ItemFeatures | None
    splits: dict[str, Split]
    comparison: Comparison
    notes: list[str]


def run_experiment(data: str | RecDataset, models: Sequence[str] = DEFAULT_MODELS, split: str = "auto",
                   epochs: int | None = None, quick: bool = False, device: torch.device | str | None = None,
                   seed: int = 0, modalities: Sequence[str] | None = None, cache_dir: str | Path | None = None,
                   download: bool = True, cold_frac: float = 0.1, n_boot: int = 1000, progress: bool = True,
                   content: ItemFeatures | None = None) -> Experiment:
    """Load ``data`` (a spec for ``data.adapters.load_dataset``, or a dataset), get its item content,
    train every model of ``models`` (names of ``models.zoo``) with its default config and compare.

    Sequence models (``sasrec``) run on the temporal split, the others on ``split``. ``epochs``
    caps the epochs of every model; ``quick`` encodes in quick mode, draws 200 bootstrap samples
    and, unless ``epochs`` is given, caps the epochs at :data:`QUICK_EPOCHS`. Content models are
    skipped, with a note, when there is no content, and sequence models when there are no timestamps.
    ``content``: item content already computed (e.g. by :func:`item_features` in a notebook).
    """
    dataset = load_dataset(data, cache_dir=cache_dir, download=download) if isinstance(data, str) else data
    notes = list(dataset.notes)
    device = pick_device(device)
    if content is None and any(m in CONTENT_MODELS for m in models):
        content = item_features(dataset, modalities, device, cache_dir, quick, progress)
    cap = epochs or (QUICK_EPOCHS if quick else None)
    groups: dict[str, dict[str, ModelSource]] = {}
    configs: dict[str, TrainConfig] = {}
    for name in models:
        if name in CONTENT_MODELS and content is None:
            notes.append(f"{name} skipped: {dataset.name} has no item content features")
            continue
        if name in SEQUENCE_MODELS and not dataset.has_timestamps:
            notes.append(f"{name} skipped: {dataset.name} has no timestamps, so no temporal split")
            continue
        kind = "temporal" if name in SEQUENCE_MODELS else split
        groups.setdefault(kind, {})[name] = functools.partial(build_model, name, dataset.n_users, dataset.n_items,
                                                              content)
        cfg = default_config(name)
        cfg["epochs"] = min(cfg.get("epochs", TrainConfig.epochs), cap or 10**9)
        configs[name] = TrainConfig(**cfg)
    if not groups:
        raise ValueError(f"no model to run on {dataset.name} (asked for {', '.join(models)})")
    splits = {kind: make_split(dataset, kind, seed, cold_frac) for kind in groups}
    parts = [evaluate_models(group, splits[kind], configs, n_boot=200 if quick else n_boot, seed=seed,
                             device=device, progress=progress) for kind, group in groups.items()]
    comparison = Comparison.merge(parts)
    return Experiment(dataset, content, splits, comparison, notes + comparison.cap_notes())
