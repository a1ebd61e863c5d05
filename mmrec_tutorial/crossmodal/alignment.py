"""Projection heads that map every modality into one shared space, trained with InfoNCE.

:class:`AlignmentModel` holds one :class:`~mmrec_tutorial.encoders.base.ProjectionHead` per
modality on top of frozen encoder features, and one learnable temperature per pair of
modalities. :func:`fit_alignment` trains it on a set of items (the others stay held out for
retrieval tests). An untrained model of the same shape is the honest "before alignment"
baseline: same heads, random weights.

With a few hundred items, exact-pair InfoNCE overfits fast: the heads learn to recognise each
training item by the item-specific noise in its features (the loss on unseen items rises after a
few epochs). Hence strong input dropout and early stopping on the loss of a validation slice of
the training items.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from ..device import pick_device, seed_everything
from ..encoders.base import ProjectionHead
from .contrastive import LogitScale, modality_pairs, pairwise_alignment_loss

__all__ = ["AlignmentConfig", "AlignmentModel", "AlignmentResult", "fit_alignment"]


@dataclasses.dataclass
class AlignmentConfig:
    """Knobs of :func:`fit_alignment`; the defaults align the sample's 480 training items in seconds."""

    dim: int = 64
    hidden: int | None = 256  # hidden width of each head (None: a linear head)
    dropout: float = 0.1  # inside the heads
    input_dropout: float = 0.6  # on the standardised encoder features (the main regulariser)
    epochs: int = 100
    batch_size: int = 384
    lr: float = 1e-3
    weight_decay: float = 1e-2
    init_temperature: float = 0.07
    valid_frac: float = 0.1  # share of the training items used for early stopping
    patience: int = 15  # epochs without a lower validation loss before stopping
    seed: int = 0
    device: str | torch.device | None = None
    progress: bool = True


class AlignmentModel(nn.Module):
    """Per-modality heads ``(n, d_m) -> (n, dim)`` into a shared space, plus per-pair temperatures.

    Inputs are standardised column-wise with statistics of the training items (set by
    :meth:`fit_scaler`), so that 384-d unit-norm text vectors and 1280-d CNN activations start on
    equal terms. ``forward(features)`` returns ``{modality: (n, dim)}``.
    """

    def __init__(self, dims: Mapping[str, int], dim: int = 64, hidden: int | None = 256, dropout: float = 0.1,
                 pairs: Sequence[tuple[str, str]] | None = None, init_temperature: float = 0.07,
                 input_dropout: float = 0.0) -> None:
        super().__init__()
        self.input_dropout = nn.Dropout(input_dropout)
        self.modalities = list(dims)
        self.pairs = list(pairs) if pairs is not None else modality_pairs(self.modalities)
        self.dim = dim
        self.heads = nn.ModuleDict({m: ProjectionHead(d, dim, hidden=hidden, dropout=dropout) for m, d in dims.items()})
        self.scales = nn.ModuleDict({f"{a}-{b}": LogitScale(init_temperature) for a, b in self.pairs})
        for m, d in dims.items():
            self.register_buffer(f"mean_{m}", torch.zeros(d))
            self.register_buffer(f"std_{m}", torch.ones(d))

    @torch.no_grad()
    def fit_scaler(self, features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
                   items: torch.Tensor) -> None:
        """Column means and stds of ``features[m][items]`` over items that have ``m``."""
        for m in self.modalities:
            rows = features[m][items][masks[m][items]].float()
            if len(rows) == 0:
                continue
            getattr(self, f"mean_{m}").copy_(rows.mean(0))
            getattr(self, f"std_{m}").copy_(rows.std(0, unbiased=False).clamp(min=1e-6))

    def project(self, modality: str, x: torch.Tensor) -> torch.Tensor:
        """One modality's raw features ``(n, d_m)`` -> shared-space vectors ``(n, dim)``."""
        x = (x.float() - getattr(self, f"mean_{modality}")) / getattr(self, f"std_{modality}")
        return self.heads[modality](self.input_dropout(x))

    def forward(self, features: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``{m: (n, d_m)}`` -> ``{m: (n, dim)}`` (modalities not in the model are ignored)."""
        return {m: self.project(m, x) for m, x in features.items() if m in self.heads}

    def loss(self, features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        """Mean symmetric InfoNCE over the model's pairs for one batch of items."""
        return pairwise_alignment_loss(self(features), masks, self.pairs, self.scales)

    @torch.no_grad()
    def embed(self, features: Mapping[str, torch.Tensor], items: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Shared-space vectors of ``items`` (all when None) in eval mode, on CPU: ``{m: (n, dim)}``."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = {m: self.project(m, (x if items is None else x[items]).to(device)).cpu()
               for m, x in features.items() if m in self.heads}
        self.train(was_training)
        return out

    def temperatures(self) -> dict[str, float]:
        """Current temperature ``τ`` of every pair."""
        return {name: scale.temperature for name, scale in self.scales.items()}


@dataclasses.dataclass
class AlignmentResult:
    """The trained model (best validation epoch restored), the untrained one it started from (the
    "before" baseline), the per-epoch history (loss on the training batches, on the validation
    slice, and on ``held_out`` items when given), the best epoch and the seconds it took."""

    model: AlignmentModel
    before: AlignmentModel
    history: pd.DataFrame
    best_epoch: int
    seconds: float


def _train_epoch(model: AlignmentModel, optimizer: torch.optim.Optimizer, feats: Mapping[str, torch.Tensor],
                 masks: Mapping[str, torch.Tensor], order: torch.Tensor, batch_size: int) -> float:
    """One pass over the items in ``order`` ``(n,)`` in batches (a batch of one has no negatives
    and is skipped); the mean batch loss."""
    total, batches = 0.0, 0
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        if len(idx) < 2:
            continue
        loss, _ = model.loss({m: f[idx] for m, f in feats.items()}, {m: k[idx] for m, k in masks.items()})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total, batches = total + float(loss.detach()), batches + 1
    return total / max(1, batches)


def _eval_loss(model: AlignmentModel, feats: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
               items: torch.Tensor) -> float:
    """The alignment loss on ``items`` ``(n,)`` in eval mode, without gradients."""
    model.eval()
    with torch.no_grad():
        idx = items.to(next(model.parameters()).device)
        return float(model.loss({m: f[idx] for m, f in feats.items()}, {m: k[idx] for m, k in masks.items()})[0])


def fit_alignment(features: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor], train_items: torch.Tensor,
                  cfg: AlignmentConfig | None = None, pairs: Sequence[tuple[str, str]] | None = None,
                  held_out: torch.Tensor | None = None) -> AlignmentResult:
    """Train an :class:`AlignmentModel` on ``train_items`` (a ``(n_train,)`` index tensor).

    ``features[m]``: ``(n_items, d_m)`` frozen encoder outputs, ``masks[m]``: ``(n_items,)`` bool.
    A random ``cfg.valid_frac`` of ``train_items`` is set aside for early stopping (lowest
    validation loss, ``cfg.patience``). Each epoch shuffles the rest into batches; each batch's
    loss is the mean symmetric InfoNCE over ``pairs`` (default: every pair), each pair on the
    items that have both. ``held_out`` items are only *evaluated* (loss per epoch, for a curve);
    they never influence training or the choice of epoch.
    """
    import copy
    import time

    cfg = cfg or AlignmentConfig()
    start_time = time.perf_counter()
    device = pick_device(cfg.device)
    gen = seed_everything(cfg.seed)
    shuffled = train_items[torch.randperm(len(train_items), generator=gen)]
    n_valid = int(round(cfg.valid_frac * len(shuffled)))
    valid_items, fit_items = shuffled[:n_valid].sort().values, shuffled[n_valid:].sort().values
    dims = {m: int(f.shape[1]) for m, f in features.items()}
    model = AlignmentModel(dims, cfg.dim, cfg.hidden, cfg.dropout, pairs, cfg.init_temperature, cfg.input_dropout)
    model.fit_scaler(features, masks, fit_items)
    before = copy.deepcopy(model).eval()
    model.to(device)
    feats = {m: f.float().to(device) for m, f in features.items()}
    msk = {m: masks[m].to(torch.bool).to(device) for m in features}
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    rows, best_loss, best_epoch, best_state, bad = [], float("inf"), 0, None, 0
    bar = tqdm(range(1, cfg.epochs + 1), desc="alignment", disable=not cfg.progress, leave=False)
    for epoch in bar:
        model.train()
        order = fit_items[torch.randperm(len(fit_items), generator=gen)].to(device)
        row = {"epoch": epoch, "train_loss": _train_epoch(model, optimizer, feats, msk, order, cfg.batch_size)}
        if len(valid_items) >= 2:
            row["valid_loss"] = _eval_loss(model, feats, msk, valid_items)
        if held_out is not None:
            row["held_out_loss"] = _eval_loss(model, feats, msk, held_out)
        rows.append(row)
        bar.set_postfix(loss=f"{row['train_loss']:.3f}")
        current = row.get("valid_loss", row["train_loss"])
        if current < best_loss - 1e-4:
            best_loss, best_epoch, bad = current, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return AlignmentResult(model.cpu(), before, pd.DataFrame(rows), best_epoch, time.perf_counter() - start_time)
