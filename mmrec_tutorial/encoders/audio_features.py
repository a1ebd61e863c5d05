"""Audio front ends in pure torch: log-mel spectrogram, MFCC, and MFCC statistics.

No torchaudio: the STFT is ``torch.stft``, the mel filterbank and the DCT matrix are built
here (HTK mel scale, triangular filters; orthonormal DCT-II), so every step can be read.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["LogMelSpectrogram", "MFCCStats", "dct_matrix", "hz_to_mel", "mel_filterbank", "mel_to_hz", "mfcc"]


def hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    """HTK mel scale: ``2595 * log10(1 + hz / 700)``."""
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(n_freqs: int, n_mels: int, sample_rate: int, f_min: float = 0.0,
                   f_max: float | None = None) -> torch.Tensor:
    """Triangular mel filters ``(n_freqs, n_mels)`` for an rFFT with ``n_freqs`` bins.

    Filter ``m`` rises linearly from mel point ``m`` to ``m + 1`` and falls to ``m + 2``, the
    ``n_mels + 2`` points being equally spaced on the mel scale between ``f_min`` and ``f_max``.
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate / 2, got {f_min}, {f_max}, {sample_rate}")
    freqs = torch.linspace(0, sample_rate / 2, n_freqs, dtype=torch.float64)
    mels = torch.linspace(float(hz_to_mel(torch.tensor(f_min))), float(hz_to_mel(torch.tensor(f_max))),
                          n_mels + 2, dtype=torch.float64)
    points = mel_to_hz(mels)
    lower, centre, upper = points[:-2], points[1:-1], points[2:]
    rising = (freqs[:, None] - lower[None, :]) / (centre - lower)[None, :]
    falling = (upper[None, :] - freqs[:, None]) / (upper - centre)[None, :]
    return torch.clamp(torch.minimum(rising, falling), min=0.0).to(torch.float32)


class LogMelSpectrogram(nn.Module):
    """``(batch, samples)`` waveforms -> ``(batch, n_mels, frames)`` log-mel power spectrogram.

    Hann window of ``n_fft`` samples, hop ``hop_length``, centred frames
    (``frames = samples // hop_length + 1``), power spectrum, mel filterbank, ``log(x + 1e-6)``.
    At 8 kHz the defaults give 64 ms windows (15.6 Hz bins, fine enough to tell a major from a
    minor third) every 20 ms, pooled into 40 mel bands.
    """

    def __init__(self, sample_rate: int = 8000, n_fft: int = 512, hop_length: int = 160, n_mels: int = 40,
                 f_min: float = 30.0, f_max: float | None = None, log_offset: float = 1e-6) -> None:
        super().__init__()
        self.sample_rate, self.n_fft, self.hop_length, self.n_mels = sample_rate, n_fft, hop_length, n_mels
        self.log_offset = log_offset
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer("fb", mel_filterbank(n_fft // 2 + 1, n_mels, sample_rate, f_min, f_max),
                             persistent=False)

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, n_mels, samples // hop_length + 1)``."""
        spec = torch.stft(waves.float(), self.n_fft, self.hop_length, window=self.window, center=True,
                          pad_mode="constant", return_complex=True)
        power = spec.real ** 2 + spec.imag ** 2  # (batch, n_freqs, frames)
        mel = torch.einsum("bft,fm->bmt", power, self.fb)
        return torch.log(mel + self.log_offset)


def dct_matrix(n_mfcc: int, n_mels: int) -> torch.Tensor:
    """Orthonormal DCT-II basis ``(n_mels, n_mfcc)``: ``mfcc = log_mel^T @ D``."""
    n = torch.arange(n_mels, dtype=torch.float64)
    k = torch.arange(n_mfcc, dtype=torch.float64)
    basis = torch.cos(math.pi / n_mels * (n[:, None] + 0.5) * k[None, :])
    basis[:, 0] *= 1.0 / math.sqrt(2.0)
    return (basis * math.sqrt(2.0 / n_mels)).to(torch.float32)


def mfcc(log_mel: torch.Tensor, n_mfcc: int = 20) -> torch.Tensor:
    """``(batch, n_mels, frames)`` log-mel -> ``(batch, n_mfcc, frames)`` cepstral coefficients."""
    basis = dct_matrix(n_mfcc, log_mel.shape[1]).to(log_mel.device)
    return torch.einsum("bmt,mk->bkt", log_mel, basis)


class MFCCStats(nn.Module):
    """The classic non-learned baseline: ``(batch, n_mels, frames)`` log-mel ->
    ``(batch, 2 * n_mfcc)`` = mean and standard deviation of each MFCC over time."""

    def __init__(self, n_mfcc: int = 20) -> None:
        super().__init__()
        self.n_mfcc = n_mfcc
        self.d_out = 2 * n_mfcc

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        c = mfcc(log_mel, self.n_mfcc)
        return torch.cat([c.mean(dim=-1), c.std(dim=-1, unbiased=False)], dim=-1)
