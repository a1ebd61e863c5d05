"""Reading image files robustly: every item gets an RGB picture or a reported reason why not.

Grayscale, palette and 16-bit images are converted to RGB, transparent ones (RGBA, LA,
palette with transparency) are composited on white (the data layer's
:func:`~mmrec_tutorial.data.media.to_rgb`, so covers look the same in figures and to the
encoder), and truncated or undecodable files are reported as ``corrupt`` instead of raising.
Nothing here needs torchvision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from ..data.media import MediaLimitError, decode_image, has_alpha
from .base import ItemProblem

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "load_image", "load_images", "to_path"]

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


def to_path(value: Any, root: str | Path | None = None) -> Path | None:
    """A path from a catalog cell: ``None``/NaN/blank -> ``None``; relative paths join ``root``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() or root is None else Path(root) / path


def load_image(path: str | Path | None) -> tuple[Image.Image | None, str | None, str]:
    """Open one image as RGB.

    Returns ``(image, kind, detail)``: ``image`` is an RGB ``PIL.Image`` or ``None``; ``kind``
    is ``None`` (fine), ``"converted"`` (repaired, image usable), or ``"missing"`` /
    ``"corrupt"`` / ``"too-large"`` (no image); ``detail`` says what happened in words.
    """
    if path is None:
        return None, "missing", "no image path"
    path = Path(path)
    if not path.is_file():
        return None, "missing", f"file not found: {path.name}"
    try:
        rgb, mode = decode_image(path)  # decoded now (bounded): a bad file fails here, not later in a batch
    except MediaLimitError as exc:
        return None, "too-large", str(exc)
    except ValueError as exc:
        return None, "corrupt", f"cannot decode {path.name}: {str(exc).split(': ', 1)[-1]}"
    if rgb.width == 0 or rgb.height == 0:
        return None, "corrupt", f"{path.name} has no pixels"
    if mode != "RGB":
        return rgb, "converted", f"{mode} image converted to RGB" + (
            " (transparency composited on white)" if has_alpha(mode) else "")
    return rgb, None, ""


def load_images(paths: Sequence[str | Path | None], item_ids: Sequence[str] | None = None,
                modality: str = "image") -> tuple[list[Image.Image | None], list[ItemProblem]]:
    """Load every image as RGB.

    Returns ``(images, problems)``: ``images[i]`` is an RGB ``PIL.Image`` or ``None`` (then the
    item has no image); ``problems`` lists every item that was missing, corrupt or converted,
    with its index and id.
    """
    images: list[Image.Image | None] = []
    problems: list[ItemProblem] = []
    for i, p in enumerate(paths):
        img, kind, detail = load_image(p)
        if kind is not None:
            item_id = None if item_ids is None else str(item_ids[i])
            problems.append(ItemProblem(i, item_id, modality, kind, detail, masked=img is None))
        images.append(img)
    return images, problems
