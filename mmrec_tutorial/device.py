"""Device choice, seeding, autocast dtype and CPU threads: the one place that knows about hardware."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch

__all__ = ["pick_device", "seed_everything", "autocast_dtype", "describe_device", "is_quick", "cpu_threads",
           "polite_threads"]


def pick_device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the device to run on: CUDA, then Apple MPS, then CPU.

    ``prefer`` (or the ``MMREC_DEVICE`` environment variable) overrides the choice, e.g.
    ``"cpu"`` or ``"cuda:1"``. Asking for a device that is not available raises a
    ``RuntimeError`` that says what is available instead of failing later inside torch.
    """
    prefer = prefer if prefer not in (None, "", "auto") else os.environ.get("MMREC_DEVICE") or None
    if prefer not in (None, "", "auto"):
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {prefer!r} was asked for but CUDA is not available; "
                               "use DEVICE='cpu' or leave it as 'auto'")
        if device.type == "mps" and not _mps_available():
            raise RuntimeError(f"device {prefer!r} was asked for but MPS is not available; "
                               "use DEVICE='cpu' or leave it as 'auto'")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed python, numpy and torch (all devices); return a CPU ``torch.Generator`` seeded too.

    The same seed gives the same numbers on the same device. (Across devices, or across CPU
    thread counts, floating-point sums may differ in the last digits.)
    """
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def autocast_dtype(device: torch.device | str) -> torch.dtype | None:
    """The dtype to autocast to on ``device``: bf16 on CUDA that supports it, else fp16 on CUDA,
    fp16 on MPS, and ``None`` (no autocast, full fp32) on CPU, where low precision is slower."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return None


def describe_device(device: torch.device | str) -> str:
    """A one-line human description, e.g. ``'cuda (NVIDIA H200, 139.8 GiB)'`` or ``'cpu (2 threads)'``."""
    device = torch.device(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"cuda ({props.name}, {props.total_memory / 2**30:.1f} GiB)"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def is_quick(default: bool = False) -> bool:
    """Whether QUICK mode is on: the ``MMREC_QUICK`` environment variable (1/true/yes) or ``default``."""
    value = os.environ.get("MMREC_QUICK")
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[int]:
    """Run torch's CPU operations on ``n`` threads inside the block; the setting is restored
    afterwards, also on an exception. ``n`` of ``None`` or 0 keeps the current setting.
    Yields the number of threads in force.

    The course's models are small: on a busy 2-core machine, threads that wait for each other
    lose more than they gain (see :func:`polite_threads`)."""
    previous = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)


def polite_threads() -> int:
    """CPU threads worth using now: the cores that other processes leave idle (cores minus the
    1-minute load average), at least 1 and at most torch's current setting.

    On a shared 2-core machine with a load of 6, the sample catalog encoded in 34-44 s with one
    thread and in 118-126 s with two: threads that wait for each other on busy cores lose more
    than they gain.
    """
    current = torch.get_num_threads()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on every OS
        return current
    free = (os.cpu_count() or 1) - load
    return max(1, min(current, int(free + 0.5)))
