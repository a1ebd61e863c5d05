"""Reading WAV files robustly and resampling them properly (numpy, scipy and torch).

``read_wav`` is the data layer's reader (:func:`mmrec_tutorial.data.media.read_wav`: 8/16/24/32-bit
PCM, any channel count, mixed down to mono), re-exported here. ``resample`` is scipy's polyphase
resampler behind a torch signature: it low-passes below the new Nyquist frequency, so a 6 kHz
tone in a 16 kHz file does not alias to 2 kHz when going to 8 kHz, as plain linear interpolation
would let it. ``load_clips`` turns a list of paths into a fixed ``(n, samples)`` batch plus a mask
and a report of what was wrong with each file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.signal import resample_poly

from ..data.media import SILENCE_RMS, AudioReadError, MediaLimitError, is_silent, read_wav
from .base import ItemProblem

__all__ = ["AudioReadError", "SILENCE_RMS", "fit_length", "load_clips", "read_wav", "resample"]


def resample(wave_: torch.Tensor, orig_sr: int, new_sr: int) -> torch.Tensor:
    """Band-limited resampling of ``(..., time)`` from ``orig_sr`` to ``new_sr`` Hz.

    Returns ``(..., ceil(time * new_sr / orig_sr))`` on ``wave_``'s device, float32. The work is
    :func:`scipy.signal.resample_poly` (up by ``new_sr / g``, a Kaiser-windowed FIR low-pass below
    the lower Nyquist frequency, down by ``orig_sr / g``, with ``g`` their greatest common divisor),
    computed in float64 on the CPU: resampling happens once per file when a catalog is read.
    """
    if orig_sr <= 0 or new_sr <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sr} and {new_sr}")
    if orig_sr == new_sr:
        return wave_.clone()
    g = math.gcd(int(orig_sr), int(new_sr))
    x = wave_.detach().to("cpu", torch.float64).numpy()
    y = resample_poly(x, int(new_sr) // g, int(orig_sr) // g, axis=-1)
    return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)).to(wave_.device)


def fit_length(samples: torch.Tensor, n: int) -> torch.Tensor:
    """Centre-crop or zero-pad (at the end) a ``(time,)`` clip to exactly ``n`` samples."""
    if samples.shape[-1] >= n:
        start = (samples.shape[-1] - n) // 2
        return samples[..., start:start + n]
    return F.pad(samples, (0, n - samples.shape[-1]))


def load_clips(paths: Sequence[str | Path | None], sample_rate: int, clip_seconds: float,
               item_ids: Sequence[str] | None = None, modality: str = "audio",
               ) -> tuple[torch.Tensor, torch.Tensor, list[ItemProblem]]:
    """Load WAV files as one batch ``(n, round(sample_rate * clip_seconds))`` float32.

    Each file is mixed to mono, resampled to ``sample_rate`` when it has another rate
    (reported as ``resampled``), and cropped / zero-padded to the clip length (reported as
    ``length`` when off by more than 10 ms). Missing, unreadable, empty and silent files
    (:func:`~mmrec_tutorial.data.media.is_silent`) give a zero row, ``mask[i] = False`` and a
    problem naming the item.
    """
    n_samples = int(round(sample_rate * clip_seconds))
    waves = torch.zeros(len(paths), n_samples)
    mask = torch.zeros(len(paths), dtype=torch.bool)
    problems: list[ItemProblem] = []

    def report(i: int, kind: str, detail: str, masked: bool) -> None:
        problems.append(ItemProblem(i, None if item_ids is None else str(item_ids[i]), modality,
                                    kind, detail, masked))

    for i, p in enumerate(paths):
        if p is None:
            report(i, "missing", "no audio path", True)
            continue
        path = Path(p)
        if not path.is_file():
            report(i, "missing", f"file not found: {path.name}", True)
            continue
        try:
            data, rate = read_wav(path)
        except MediaLimitError as exc:
            report(i, "too-large", str(exc), True)
            continue
        except AudioReadError as exc:
            report(i, "unreadable", str(exc), True)
            continue
        if data.size == 0 or rate <= 0:
            report(i, "unreadable", f"{path.name}: no samples", True)
            continue
        if is_silent(data):  # the data layer's definition, the same as the catalog check's
            report(i, "silent", f"{path.name}: silent (RMS below {SILENCE_RMS:g})", True)
            continue
        clip = torch.from_numpy(data)
        if rate != sample_rate:
            clip = resample(clip, rate, sample_rate)
            report(i, "resampled", f"{path.name}: {rate} Hz resampled to {sample_rate} Hz", False)
        if abs(clip.shape[-1] - n_samples) > 0.01 * sample_rate:
            report(i, "length", f"{path.name}: {clip.shape[-1] / sample_rate:.2f} s "
                                f"{'cropped' if clip.shape[-1] > n_samples else 'zero-padded'} "
                                f"to {clip_seconds:g} s", False)
        waves[i] = fit_length(clip, n_samples)
        mask[i] = True
    return waves, mask, problems
