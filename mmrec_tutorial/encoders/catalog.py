"""Encode a whole catalog, modality by modality, with an on-disk cache.

``encode_catalog(items, root)`` reads the item table (``item_id, title, description, image,
audio``; image and audio paths relative to ``root``), runs the text, image and audio encoders,
fills the rows of items that lack a modality by a named strategy, and returns
:class:`ItemFeatures` with rows in the order of the table's rows. A second call with the same
inputs and settings loads the vectors from the cache (see :mod:`.cache`) without loading any
model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from .audio_ssl import SSLConfig
from ..device import cpu_threads, polite_threads
from .base import FILL_STRATEGIES, EncodedModality, ItemProblem, fill_missing, resolve_device
from ..data.modalities import MODALITIES, ItemFeatures, item_text
from .cache import EmbeddingCache, hash_file, hash_text
from .image_io import to_path

__all__ = ["MODALITIES", "ItemFeatures", "encode_catalog", "item_texts"]


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
    _check_request(items, modalities, fill)
    device = resolve_device(device)
    cache = EmbeddingCache(cache_dir) if use_cache else None
    item_ids = [str(x) for x in items["item_id"].tolist()]
    settings = {"text_model": text_model, "image_backbone": image_backbone,
                "image_size": image_size if image_size is not None else 96 if quick else 128,
                "audio_encoder": audio_encoder,
                "ssl": ssl if ssl is not None else SSLConfig(epochs=5 if quick else SSLConfig.epochs, seed=seed),
                "fallback": fallback, "allow_download": allow_download, "max_length": max_length}
    plans = {m: _plan(m, items, Path(root), settings) for m in modalities}
    with cpu_threads(num_threads if num_threads is not None else polite_threads()):
        return _encode_all(plans, item_ids, device, cache, fill, progress)


def _encode_all(plans: dict[str, Plan], item_ids: list[str], device: torch.device, cache: EmbeddingCache | None,
                fill: str, progress: bool) -> ItemFeatures:
    """Encode (or read from the cache) every planned modality, fill the rows of items without it."""
    features: dict[str, torch.Tensor] = {}
    masks: dict[str, torch.Tensor] = {}
    problems: dict[str, list[ItemProblem]] = {}
    info: dict[str, dict[str, Any]] = {}
    for modality in plans:
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


def _check_request(items: pd.DataFrame, modalities: Sequence[str], fill: str) -> None:
    """Raise a clear error for an unknown modality or fill, or an items table without the columns needed."""
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


Plan = tuple[list[Any], list[str], dict[str, Any], Callable[..., Any], dict[str, Any]]


def _plan(modality: str, items: pd.DataFrame, root: Path, s: dict[str, Any]) -> Plan:
    """What encoding ``modality`` takes: the inputs, their content hashes (the cache key), the
    encoder's config, its factory and the factory's arguments."""
    if modality == "text":
        from .text import TextEncoder

        texts = item_texts(items)
        return (texts, [hash_text(t) for t in texts], TextEncoder.describe(s["text_model"], max_length=s["max_length"]),
                _make_text, {"model": s["text_model"], "fallback": s["fallback"],
                             "allow_download": s["allow_download"], "max_length": s["max_length"]})
    paths = [to_path(p, root) for p in items[modality].tolist()]
    hashes = [hash_file(p) for p in paths]
    if modality == "image":
        from .image import ImageEncoder

        return (paths, hashes, ImageEncoder.describe(s["image_backbone"], image_size=s["image_size"]), _make_image,
                {"backbone": s["image_backbone"], "image_size": s["image_size"], "fallback": s["fallback"],
                 "allow_download": s["allow_download"]})
    from .audio import AudioEncoder

    return (paths, hashes, AudioEncoder.describe(s["audio_encoder"], ssl=s["ssl"]), _make_audio,
            {"kind": s["audio_encoder"], "ssl": s["ssl"]})


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
