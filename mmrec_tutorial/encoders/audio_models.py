"""Learned audio encoders over a log-mel spectrogram: a recurrent one (GRU) and a convolutional one.

Both take ``(batch, n_mels, frames)`` and return ``(batch, d_out)``, and both start with a
``BatchNorm1d`` over the mel bands, which standardises the log energies per band (the
running statistics become the fixed input normalisation at inference).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import conv_blocks

__all__ = ["CNNAudioEncoder", "GRUAudioEncoder"]


class GRUAudioEncoder(nn.Module):
    """Spectrogram -> strided ``Conv1d`` (local patterns, half the frames) -> bidirectional GRU
    -> [mean over time, last states] -> ``Linear`` -> ``(batch, d_out)``.

    The GRU reads the clip in time order, so it can pick up rhythm (tempo) and the order of
    the notes, which per-frame statistics lose.
    """

    def __init__(self, n_mels: int = 40, d_out: int = 128, hidden: int = 64, num_layers: int = 1,
                 bidirectional: bool = True) -> None:
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_mels)
        self.conv = nn.Sequential(nn.Conv1d(n_mels, hidden, kernel_size=5, stride=2, padding=2),
                                  nn.BatchNorm1d(hidden), nn.ReLU())
        self.gru = nn.GRU(hidden, hidden, num_layers=num_layers, batch_first=True, bidirectional=bidirectional)
        directions = 2 if bidirectional else 1
        self.out = nn.Linear(2 * directions * hidden, d_out)
        self.d_out = d_out

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        """``(batch, n_mels, frames)`` -> ``(batch, d_out)``."""
        x = self.conv(self.input_norm(log_mel)).transpose(1, 2)  # (batch, frames / 2, hidden)
        outputs, last = self.gru(x)  # outputs (batch, T, dirs * hidden), last (layers * dirs, batch, hidden)
        dirs = 2 if self.gru.bidirectional else 1
        final = last[-dirs:].transpose(0, 1).reshape(log_mel.shape[0], -1)  # top layer, all directions
        return self.out(torch.cat([outputs.mean(dim=1), final], dim=-1))


class CNNAudioEncoder(nn.Module):
    """Spectrogram as a one-channel image -> ``Conv2d`` blocks -> global mean and max pooling ->
    ``Linear`` -> ``(batch, d_out)``. Translation-invariant in time and (locally) in pitch."""

    def __init__(self, n_mels: int = 40, d_out: int = 128, channels: Sequence[int] = (16, 32, 64)) -> None:
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_mels)
        self.features, c_in = conv_blocks(1, channels)
        self.out = nn.Linear(2 * c_in, d_out)
        self.d_out = d_out

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        """``(batch, n_mels, frames)`` -> ``(batch, d_out)``."""
        x = self.features(self.input_norm(log_mel).unsqueeze(1))  # (batch, C, mels', frames')
        return self.out(torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=-1))
