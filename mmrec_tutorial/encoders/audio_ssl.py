"""Self-supervised training of an audio encoder (SimCLR-style), because no pretrained audio
model ships offline.

Two random *views* of the same clip (a random time crop, a small time shift, a random gain
and additive noise at a random signal-to-noise ratio) should map to nearby vectors, and
views of different clips to distant ones. The loss is SimCLR's NT-Xent (:func:`nt_xent_loss`, a
form of InfoNCE): for each of the ``2B`` views in a batch, a softmax over the ``2B - 1`` others
(both views of every other clip) must pick its partner. What survives all the augmentations
(tempo, harmonic content, timbre) is what the encoder learns. (The cross-modal loss of
:func:`mmrec_tutorial.crossmodal.cross_modal_info_nce` differs: there the negatives of a text
vector are only the other items' *image* vectors, never other texts.)

Training is seeded: the weights are initialised and the batches and augmentations drawn from
generators built from ``SSLConfig.seed``, so the same clips give the same encoder (on the
same device and thread count).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SSLConfig", "augment_views", "nt_xent_loss", "train_ssl"]


@dataclasses.dataclass(frozen=True)
class SSLConfig:
    """Knobs of self-supervised training (the defaults take ~5 s for 600 clips on 2 CPU cores)."""

    epochs: int = 15
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    temperature: float = 0.2
    crop_seconds: float = 0.7  # length of each view
    max_shift_seconds: float = 0.05  # extra delay / advance of a view, zero-filled
    gain_db: float = 6.0  # views are scaled by a gain drawn from [-gain_db, gain_db] dB
    snr_db: tuple[float, float] = (10.0, 40.0)  # white noise at a signal-to-noise ratio in this range
    projection_dim: int = 64  # SimCLR's extra head; thrown away after training
    seed: int = 0


def augment_views(waves: torch.Tensor, sample_rate: int, cfg: SSLConfig, gen: torch.Generator) -> torch.Tensor:
    """One random view per clip: ``(batch, samples)`` -> ``(batch, crop)`` with
    ``crop = round(cfg.crop_seconds * sample_rate)`` (or ``samples`` if shorter).

    All randomness comes from ``gen`` (a CPU generator), so views are reproducible.
    """
    b, n = waves.shape
    crop = min(n, int(round(cfg.crop_seconds * sample_rate)))
    starts = torch.randint(0, n - crop + 1, (b,), generator=gen)
    idx = starts[:, None] + torch.arange(crop)[None, :]
    views = torch.gather(waves.cpu(), 1, idx)
    max_shift = int(round(cfg.max_shift_seconds * sample_rate))
    if max_shift > 0:
        shifts = torch.randint(-max_shift, max_shift + 1, (b,), generator=gen)
        src = torch.arange(crop)[None, :] - shifts[:, None]  # positive shift delays the view
        valid = (src >= 0) & (src < crop)
        views = torch.where(valid, torch.gather(views, 1, src.clamp(0, crop - 1)), torch.zeros(()))
    gain_db = (torch.rand(b, 1, generator=gen) * 2 - 1) * cfg.gain_db
    views = views * 10.0 ** (gain_db / 20.0)
    lo, hi = cfg.snr_db
    snr_db = lo + torch.rand(b, 1, generator=gen) * (hi - lo)
    rms = views.pow(2).mean(dim=1, keepdim=True).sqrt().clamp(min=1e-8)
    noise = torch.randn(b, crop, generator=gen) * rms / 10.0 ** (snr_db / 20.0)
    return (views + noise).to(waves.device)


def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """SimCLR's NT-Xent loss of two ``(batch, d)`` views; row ``i`` of ``z1`` pairs with row ``i``
    of ``z2``.

    The ``2 * batch`` vectors are L2-normalised and pooled: each one's softmax over the
    ``2 * batch - 1`` others (same-view rows included), at ``temperature``, must pick its partner.
    Returns a scalar (mean cross-entropy over the ``2 * batch`` rows); ``log(2 * batch - 1)`` is
    the value of random vectors.
    """
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=-1)  # (2B, d)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))  # a view is not its own partner
    b = z1.shape[0]
    targets = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    return F.cross_entropy(sim, targets)


def train_ssl(encoder: nn.Module, frontend: nn.Module, waves: torch.Tensor, sample_rate: int,
              cfg: SSLConfig = SSLConfig(), *, device: torch.device | None = None, progress: bool = True,
              on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Train ``encoder`` (``(batch, n_mels, frames)`` -> ``(batch, d)``) on clips ``waves``
    ``(n, samples)`` with NT-Xent (:func:`nt_xent_loss`) between augmented views; returns the
    mean loss per epoch.

    ``frontend`` turns waveforms into the encoder's input (e.g. :class:`LogMelSpectrogram`).
    The encoder is left in eval mode. Needs at least 2 clips. ``cfg.epochs=0`` leaves the
    weights random (only the BatchNorm statistics are measured): the baseline that shows what
    training adds.
    """
    from tqdm.auto import tqdm

    n = waves.shape[0]
    if n < 2:
        raise ValueError(f"self-supervised training needs at least 2 clips, got {n}")
    device = device or waves.device
    d_out = int(getattr(encoder, "d_out"))
    with torch.random.fork_rng(devices=[]):  # seed the projection head without touching global RNG state
        torch.manual_seed(cfg.seed + 1)
        head = nn.Sequential(nn.Linear(d_out, d_out), nn.ReLU(), nn.Linear(d_out, cfg.projection_dim))
    head.to(device)
    encoder.to(device).train()
    frontend.to(device)
    params = list(encoder.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    batch_size = min(cfg.batch_size, n)
    steps_per_epoch = max(1, n // batch_size)  # drop the ragged last batch: tiny batches make noisy negatives
    total = max(1, cfg.epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, total // 10)) * 0.5 * (1 + math.cos(math.pi * s / total)))
    gen = torch.Generator().manual_seed(cfg.seed)
    cpu_waves = waves.detach().cpu()
    losses: list[float] = []
    bar = tqdm(range(cfg.epochs), desc="audio SSL", unit="epoch", disable=not progress)
    for epoch in bar:
        order = torch.randperm(n, generator=gen)
        total_loss = 0.0
        for step in range(steps_per_epoch):
            batch = cpu_waves[order[step * batch_size:(step + 1) * batch_size]]
            v1 = augment_views(batch, sample_rate, cfg, gen).to(device)
            v2 = augment_views(batch, sample_rate, cfg, gen).to(device)
            with torch.no_grad():
                x = frontend(torch.cat([v1, v2], dim=0))
            z = head(encoder(x))  # both views in one pass: shared BatchNorm statistics
            loss = nt_xent_loss(z[: len(batch)], z[len(batch):], cfg.temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += float(loss.detach())
        losses.append(total_loss / steps_per_epoch)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    if cfg.epochs == 0:
        _calibrate_batchnorm(encoder, frontend, cpu_waves, batch_size, device)
    encoder.eval()
    return losses


@torch.no_grad()
def _calibrate_batchnorm(encoder: nn.Module, frontend: nn.Module, waves: torch.Tensor, batch_size: int,
                         device: torch.device) -> None:
    """With ``epochs=0`` the weights stay random, but the BatchNorm statistics are measured on
    the clips, so that the untrained baseline is not also badly scaled."""
    for m in encoder.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over all batches
    encoder.train()
    for start in range(0, waves.shape[0], batch_size):
        encoder(frontend(waves[start:start + batch_size].to(device)))
