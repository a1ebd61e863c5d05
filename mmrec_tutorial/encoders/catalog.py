"""Encode a whole catalog, modality by modality, with an on-disk cache.

``encode_catalog(items, root)`` reads the item table (``item_id, title, description, image,
audio``; image and audio paths relative to ``root``), runs the text, image and audio encoders,
fills the rows of items that lack a modality by a named strategy, and returns
:class:`ItemFeatures` with rows in the order of the table's rows. A second call with the same
inputs and settings loads the vectors from the cache (see :mod:`.cache`) without loading any
model.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from .audio_ssl import SSLConfig
from ..device import cpu_threads, polite_threads
from .base import FILL_STRATEGIES, EncodedModality, ItemProblem, fill_missing, resolve_device
from ..data.modalities import MODALITIES, item_text
from .cache import EmbeddingCache, hash_file, hash_text
from .image_io import to_path

__all__ = ["MODALITIES", "ItemFeatures", "encode_catalog", "item_texts"]


@dataclasses.dataclass
class ItemFeatures:
    """Per-modality item vectors, aligned by row with ``item_ids``.

    ``features[m]`` is ``(n_items, d_m)`` float32 (missing rows already filled, see
    ``info[m]["fill"]``), ``masks[m]`` is ``(n_items,)`` bool (``True`` = the item really has
    modality ``m``), ``problems[m]`` lists what was wrong with which item, and ``info[m]``
    says which encoder and config made the vectors, whether they came from the cache, and
    how long they took.
    """

    item_ids: list[str]
    features: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]
    problems: dict[str, list[ItemProblem]]
    info: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

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


def item_texts(items: pd.DataFrame) -> list[str | None]:
    """The text of each item (:func:`mmrec_tutorial.data.modalities.item_text` of its title and
    description; either column may be absent)."""
    none = [None] * len(items)
    titles = items["title"].tolist() if "title" in items else none
    descriptions = items["description"].tolist() if "description" in items else none
    return [item_text(t, d) for t, d in zip(titles, descriptions)]


def _make_text(cfg: dict[str, Any], device: torch.device) -> Any:
    from .text import TextEncoder

    return TextEncoder(cfg["model"], device=device, fallback=cfg["fallback"], allow_download=cfg["allow_download"],
                       max_length=cfg["max_length"])


def _make_image(cfg: dict[str, Any], device: torch.device) -> Any:
    from .image import ImageEncoder

    return ImageEncoder(cfg["backbone"], image_size=cfg["image_size"], device=device, fallback=cfg["fallback"],
                        allow_download=cfg["allow_download"])


def _make_audio(cfg: dict[str, Any], device: torch.device) -> Any:
    from .audio import AudioEncoder

    return AudioEncoder(cfg["kind"], ssl=cfg["ssl"], device=device)


def encode_catalog(items: pd.DataFrame, root: str | Path, modalities: Sequence[str] = MODALITIES,
                   device: torch.device | str | None = None, cache_dir: str | Path | None = None,
                   quick: bool = False, *, text_model: str | None = None,
                   image_backbone: str = "efficientnet-lite0", image_size: int | None = None,
                   audio_encoder: str = "gru", ssl: SSLConfig | None = None, fill: str = "mean",
                   use_cache: bool = True, fallback: bool = False, allow_download: bool = False,
                   seed: int = 0, max_length: int = 128, num_threads: int | None = None,
                   progress: bool = True) -> ItemFeatures:
    """Encode every item of ``items`` for each of ``modalities``; see :class:`ItemFeatures`.

    Args:
        items: one row per item with ``item_id``, ``title``, ``description``, ``image``,
            ``audio`` (paths relative to ``root``; empty when missing). Rows are kept as given
            (clean duplicates first if you do not want them).
        root: folder the media paths are relative to (e.g. ``data_samples``).
        modalities: any of ``"text"``, ``"image"``, ``"audio"``.
        device: where to run the encoders (``None`` picks CUDA, MPS, then CPU).
        cache_dir: cache folder (default ``$MMREC_CACHE_DIR`` or ``~/.cache/mmrec_tutorial``).
        quick: cheaper settings for CI and first looks: 96-px images and 5 epochs of audio
            self-supervision (the probes of the sample catalog barely change).
        text_model: Hugging Face id or folder; ``None`` = offline all-MiniLM-L6-v2.
        image_backbone: ``"efficientnet-lite0"`` (offline) or a torchvision model name.
        image_size: input side for the image backbone. Default 128 (96 when ``quick``): the
            sample covers are 64x64 px, and on them a linear probe finds the visual style
            equally well (100 %) at 96, 128, 160 and 224 px while 224 px costs 4x the time of
            128 px. Pass 224 for real photos.
        audio_encoder: ``"gru"``, ``"cnn"`` or ``"mfcc"`` (see :class:`AudioEncoder`).
        ssl: self-supervised audio training settings (default: :class:`SSLConfig` with ``seed``,
            5 epochs when ``quick``); when given, its own ``seed`` is used.
        fill: how rows of items without a modality are filled: ``"mean"`` (mean of the present
            rows), ``"zeros"`` or ``"none"`` (zeros; rely on the mask).
        use_cache: read and write the embedding cache.
        fallback / allow_download: see :class:`TextEncoder` and :class:`ImageEncoder`.
        seed: seeds the audio encoder's initial weights and its training.
        max_length: tokens kept per text.
        num_threads: CPU threads torch may use while encoding (restored afterwards); ``None``
            uses the cores other processes leave idle (see :func:`mmrec_tutorial.device.polite_threads`).
        progress: show tqdm progress bars.
    """
    unknown = [m for m in modalities if m not in MODALITIES]
    if unknown:
        raise ValueError(f"unknown modalities {unknown}; choose from {MODALITIES}")
    if fill not in FILL_STRATEGIES:
        raise ValueError(f"fill must be one of {FILL_STRATEGIES}, got {fill!r}")
    needed = {"item_id"} | {m for m in ("image", "audio") if m in modalities}
    missing_cols = sorted(needed - set(items.columns))
    if missing_cols:
        raise KeyError(f"items table lacks column(s) {missing_cols}; expected item_id, title, description, "
                       "image, audio (image/audio: paths relative to root, empty when missing)")
    if "text" in modalities and not ({"title", "description"} & set(items.columns)):
        raise KeyError("items table has neither a 'title' nor a 'description' column for the text modality")
    root = Path(root)
    device = resolve_device(device)
    cache = EmbeddingCache(cache_dir) if use_cache else None
    item_ids = [str(x) for x in items["item_id"].tolist()]
    if image_size is None:
        image_size = 96 if quick else 128
    if ssl is None:
        ssl = SSLConfig(epochs=5 if quick else SSLConfig.epochs, seed=seed)

    plans: dict[str, tuple[list[Any], list[str], dict[str, Any], Callable[..., Any], dict[str, Any]]] = {}
    if "text" in modalities:
        from .text import TextEncoder

        texts = item_texts(items)
        plans["text"] = (texts, [hash_text(t) for t in texts],
                         TextEncoder.describe(text_model, max_length=max_length), _make_text,
                         {"model": text_model, "fallback": fallback, "allow_download": allow_download,
                          "max_length": max_length})
    def media(column: str) -> tuple[list[Path | None], list[str]]:  # file paths and their content hashes
        paths = [to_path(p, root) for p in items[column].tolist()]
        return paths, [hash_file(p) for p in paths]

    if "image" in modalities:
        from .image import ImageEncoder

        plans["image"] = (*media("image"), ImageEncoder.describe(image_backbone, image_size=image_size), _make_image,
                          {"backbone": image_backbone, "image_size": image_size, "fallback": fallback,
                           "allow_download": allow_download})
    if "audio" in modalities:
        from .audio import AudioEncoder

        plans["audio"] = (*media("audio"), AudioEncoder.describe(audio_encoder, ssl=ssl), _make_audio,
                          {"kind": audio_encoder, "ssl": ssl})

    features: dict[str, torch.Tensor] = {}
    masks: dict[str, torch.Tensor] = {}
    problems: dict[str, list[ItemProblem]] = {}
    info: dict[str, dict[str, Any]] = {}
    with cpu_threads(num_threads if num_threads is not None else polite_threads()):
        for modality in modalities:
            inputs, hashes, config, make, make_args = plans[modality]
            start = time.perf_counter()
            result, from_cache = _encode_one(modality, inputs, hashes, config, make, make_args, item_ids, device,
                                             cache, progress)
            result = result.with_item_ids(item_ids)
            features[modality] = fill_missing(result.features, result.mask, fill)
            masks[modality] = result.mask
            problems[modality] = result.problems
            info[modality] = {**result.info, "fill": fill, "from_cache": from_cache,
                              "threads": torch.get_num_threads(),
                              "total_seconds": round(time.perf_counter() - start, 3)}
    return ItemFeatures(item_ids, features, masks, problems, info)


def _encode_one(modality: str, inputs: list[Any], hashes: list[str], config: dict[str, Any],
                make: Callable[..., Any], make_args: dict[str, Any], item_ids: list[str],
                device: torch.device, cache: EmbeddingCache | None, progress: bool,
                ) -> tuple[EncodedModality, bool]:
    """Look up the cache by the requested config; on a miss build the encoder, look up again by
    its actual config (it may have fallen back to another model), else encode and store."""
    if cache is not None:
        hit = cache.load(modality, cache.key(modality, config, hashes))
        if hit is not None:
            return hit, True
    encoder = make(make_args, device)
    actual = encoder.config()
    if cache is not None and actual != config:
        hit = cache.load(modality, cache.key(modality, actual, hashes))
        if hit is not None:
            return hit, True
    result = encoder.encode(inputs, item_ids, progress=progress)
    if cache is not None:
        cache.save(modality, cache.key(modality, actual, hashes), result)
    return result, False
