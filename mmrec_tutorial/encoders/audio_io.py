"""Reading WAV files robustly and resampling them properly, in numpy + torch only.

``read_wav`` is the data layer's reader (:func:`mmrec_tutorial.data.media.read_wav`: 8/16/24/32-bit
PCM, any channel count, mixed down to mono), re-exported here. ``resample`` is a windowed-sinc
polyphase resampler (the band-limited interpolation that torchaudio also uses): it low-passes
below the new Nyquist frequency, so a 6 kHz tone in a 16 kHz file does not alias to 2 kHz when
going to 8 kHz, as plain linear interpolation would let it. The tests check it against
``scipy.signal.resample_poly``; it is not replaced by it because the two filters differ near the
cut-off, and the four 16 kHz clips of the sample catalog would then change every audio
embedding (the encoder trains on all clips). ``load_clips`` turns a list of paths into a fixed
``(n, samples)`` batch plus a mask and a report of what was wrong with each file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from ..data.media import SILENCE_RMS, AudioReadError, MediaLimitError, is_silent, read_wav
from .base import ItemProblem

__all__ = ["AudioReadError", "SILENCE_RMS", "fit_length", "load_clips", "read_wav", "resample"]


def _sinc_kernels(orig: int, new: int, lowpass_filter_width: int, rolloff: float) -> tuple[torch.Tensor, int]:
    """Polyphase windowed-sinc kernels ``(new, 1, taps)`` for reduced rates ``orig -> new``."""
    base_freq = min(orig, new) * rolloff  # cut-off just below the lower Nyquist frequency
    width = math.ceil(lowpass_filter_width * orig / base_freq)
    idx = torch.arange(-width, width + orig, dtype=torch.float64)[None, :] / orig
    t = torch.arange(0, -new, -1, dtype=torch.float64)[:, None] / new + idx  # (new, taps)
    t = (t * base_freq).clamp(-lowpass_filter_width, lowpass_filter_width)
    window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2  # Hann window
    t = t * math.pi
    sinc = torch.where(t == 0, torch.ones_like(t), torch.sin(t) / torch.where(t == 0, torch.ones_like(t), t))
    kernels = sinc * window * (base_freq / orig)
    return kernels[:, None, :].to(torch.float32), width


def resample(wave_: torch.Tensor, orig_sr: int, new_sr: int, *, lowpass_filter_width: int = 16,
             rolloff: float = 0.95) -> torch.Tensor:
    """Band-limited resampling of ``(..., time)`` from ``orig_sr`` to ``new_sr`` Hz.

    Returns ``(..., ceil(time * new_sr / orig_sr))``. Frequencies above ``rolloff`` times the
    lower Nyquist frequency are removed (anti-aliasing when downsampling).
    """
    if orig_sr <= 0 or new_sr <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sr} and {new_sr}")
    if orig_sr == new_sr:
        return wave_.clone()
    g = math.gcd(int(orig_sr), int(new_sr))
    orig, new = int(orig_sr) // g, int(new_sr) // g
    kernels, width = _sinc_kernels(orig, new, lowpass_filter_width, rolloff)
    shape = wave_.shape
    x = wave_.reshape(-1, 1, shape[-1]).to(torch.float32)
    length = shape[-1]
    x = F.pad(x, (width, width + orig))
    y = F.conv1d(x, kernels.to(x.device), stride=orig)  # (batch, new, frames): one phase per row
    y = y.transpose(1, 2).reshape(x.shape[0], -1)
    target = math.ceil(new * length / orig)
    return y[:, :target].reshape(*shape[:-1], target)


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
