"""Audio encoder: WAV files -> log-mel spectrogram -> GRU / CNN / MFCC statistics -> ``(n, d)``.

There is **no pretrained audio model that ships offline** (the big ones, e.g. VGGish, PANNs
or wav2vec 2.0, are downloads of hundreds of MB, trained on 16 kHz speech or web audio).
So the learned encoders (``kind="gru"`` or ``"cnn"``) are trained *self-supervised* on the
catalog's own clips (:mod:`.audio_ssl`: two augmented views of a clip must match), seeded and
in seconds, before they encode. ``kind="mfcc"`` needs no training: mean and standard
deviation of MFCCs over time, the classic baseline to beat.

Files at another sampling rate are resampled (band-limited), stereo is mixed down, clips are
cropped or padded to ``clip_seconds``; missing, unreadable and silent files are masked and
reported (see :func:`.audio_io.load_clips`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..device import cpu_threads
from .audio_features import LogMelSpectrogram, MFCCStats
from .audio_io import load_clips
from .audio_models import CNNAudioEncoder, GRUAudioEncoder
from .audio_ssl import SSLConfig, train_ssl
from .base import EncodedModality, batches, resolve_device

__all__ = ["AUDIO_KINDS", "AudioEncoder"]

AUDIO_KINDS: tuple[str, ...] = ("gru", "cnn", "mfcc")


class AudioEncoder(nn.Module):
    """Waveforms ``(batch, samples)`` -> ``(batch, d)``, and audio files -> :class:`EncodedModality`.

    Args:
        kind: ``"gru"`` (recurrent, default), ``"cnn"`` (2-D convolutions over the spectrogram)
            or ``"mfcc"`` (non-learned MFCC mean + std, ``d = 2 * n_mfcc``).
        sample_rate: rate the encoder works at; other files are resampled to it.
        clip_seconds: every clip is centre-cropped / zero-padded to this length.
        n_mels, n_fft, hop_length: the log-mel front end (see :class:`LogMelSpectrogram`).
        dim: output size ``d`` of the learned encoders.
        hidden: width of the learned encoders (GRU state size; the CNN's last block has this
            many channels, the earlier ones a half and a quarter).
        n_mfcc: MFCCs kept by ``kind="mfcc"``.
        ssl: self-supervised training settings (epochs, augmentations, seed).
        device: where to run (``None`` picks CUDA, MPS, then CPU).
        batch_size: clips per forward pass when encoding.
        train_threads: CPU threads for self-supervised training (restored afterwards). The
            batches of a small GRU are too small to split across threads: on a shared 2-core
            machine one thread trained 4x faster than two, and it makes the trained weights
            identical on machines with any number of cores. ``None`` keeps torch's setting.
    """

    modality = "audio"

    def __init__(self, kind: str = "gru", *, sample_rate: int = 8000, clip_seconds: float = 1.0,
                 n_mels: int = 40, n_fft: int = 512, hop_length: int = 160, dim: int = 128,
                 hidden: int = 64, n_mfcc: int = 20, ssl: SSLConfig | None = None,
                 device: torch.device | str | None = None,
                 batch_size: int = 256, train_threads: int | None = 1) -> None:
        super().__init__()
        if kind not in AUDIO_KINDS:
            raise ValueError(f"kind must be one of {AUDIO_KINDS}, got {kind!r}")
        self.kind = kind
        self.sample_rate, self.clip_seconds = sample_rate, clip_seconds
        self.n_mels, self.n_fft, self.hop_length, self.n_mfcc = n_mels, n_fft, hop_length, n_mfcc
        self.hidden = hidden
        self.ssl = ssl or SSLConfig()
        self.batch_size = batch_size
        self.train_threads = train_threads
        self.frontend = LogMelSpectrogram(sample_rate, n_fft, hop_length, n_mels)
        with torch.random.fork_rng(devices=[]):  # seeded initial weights, global RNG untouched
            torch.manual_seed(self.ssl.seed)
            if kind == "gru":
                self.net: nn.Module = GRUAudioEncoder(n_mels, dim, hidden=hidden)
            elif kind == "cnn":
                self.net = CNNAudioEncoder(n_mels, dim, channels=(hidden // 4, hidden // 2, hidden))
            else:
                self.net = MFCCStats(n_mfcc)
        self.fitted = kind == "mfcc"
        self.losses: list[float] = []
        self.device = resolve_device(device)
        self.to(self.device).eval()

    @property
    def dim(self) -> int:
        return int(self.net.d_out)

    @property
    def name(self) -> str:
        return f"audio:{self.kind}"

    def config(self) -> dict[str, Any]:
        """Everything that changes the vectors (used in cache keys)."""
        return self.describe(self.kind, sample_rate=self.sample_rate, clip_seconds=self.clip_seconds,
                             n_mels=self.n_mels, n_fft=self.n_fft, hop_length=self.hop_length,
                             dim=self.dim, hidden=self.hidden, n_mfcc=self.n_mfcc, ssl=self.ssl)

    @staticmethod
    def describe(kind: str = "gru", *, sample_rate: int = 8000, clip_seconds: float = 1.0, n_mels: int = 40,
                 n_fft: int = 512, hop_length: int = 160, dim: int = 128, hidden: int = 64,
                 n_mfcc: int = 20, ssl: SSLConfig | None = None, **_: Any) -> dict[str, Any]:
        """The :meth:`config` an encoder built with these arguments will have."""
        cfg: dict[str, Any] = {"encoder": "AudioEncoder", "kind": kind, "sample_rate": sample_rate,
                               "clip_seconds": clip_seconds, "n_mels": n_mels, "n_fft": n_fft,
                               "hop_length": hop_length, "resampler": "scipy.signal.resample_poly"}
        if kind == "mfcc":
            cfg["n_mfcc"] = n_mfcc
        else:
            cfg["dim"] = dim
            cfg["hidden"] = hidden
            cfg["ssl"] = dataclasses.asdict(ssl or SSLConfig())
        return cfg

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` at ``sample_rate`` -> ``(batch, d)``."""
        return self.net(self.frontend(waves))

    def fit(self, waves: torch.Tensor, *, progress: bool = True) -> list[float]:
        """Train the learned encoder self-supervised on clips ``(n, samples)``; returns the loss
        per epoch (also kept in ``self.losses``). A no-op for ``kind="mfcc"``."""
        if self.kind == "mfcc":
            return []
        with cpu_threads(self.train_threads if self.device.type == "cpu" else None):
            self.losses = train_ssl(self.net, self.frontend, waves.to(self.device), self.sample_rate, self.ssl,
                                    device=self.device, progress=progress)
        self.fitted = True
        self.eval()
        return self.losses

    @torch.no_grad()
    def embed(self, waves: torch.Tensor) -> torch.Tensor:
        """Clips ``(n, samples)`` -> ``(n, d)`` float32 on CPU, in batches, without gradients."""
        self.eval()
        out = torch.zeros(waves.shape[0], self.dim)
        for chunk in batches(list(range(waves.shape[0])), self.batch_size):
            out[chunk] = self(waves[chunk].to(self.device)).float().cpu()
        return out

    def encode(self, paths: Sequence[str | Path | None], item_ids: Sequence[str] | None = None, *,
               progress: bool = True) -> EncodedModality:
        """Encode audio files to ``(n, d)`` float32 plus an ``(n,)`` mask.

        A learned encoder that has not been fitted yet is first trained self-supervised on the
        present clips of this call (transductive, as a notebook would do for its catalog).
        """
        start = time.perf_counter()
        waves, mask, problems = load_clips(paths, self.sample_rate, self.clip_seconds, item_ids, self.modality)
        present = mask.nonzero().flatten()
        trained_now = False
        if not self.fitted and len(present) >= 2:
            self.fit(waves[present], progress=progress)
            trained_now = True
        if not self.fitted:
            raise ValueError(f"the {self.kind} audio encoder needs at least 2 readable clips to train on, "
                             f"got {len(present)}")
        features = torch.zeros(len(paths), self.dim)
        if len(present):
            features[present] = self.embed(waves[present])
        info = {"encoder": self.name, "config": self.config(), "dim": self.dim, "device": str(self.device),
                "trained_on_clips": int(len(present)) if trained_now else None,
                "ssl_losses": [round(x, 4) for x in self.losses],
                "seconds": round(time.perf_counter() - start, 3)}
        return EncodedModality(features, mask, problems, info)
