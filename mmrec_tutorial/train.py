"""One training loop for every ranker: progress bar, validation-based early stopping on
Recall@20, mixed precision on GPU, and the best state kept (in memory and, optionally, on disk)."""

from __future__ import annotations

import copy
import dataclasses
import time
from pathlib import Path

import pandas as pd
import torch
from tqdm.auto import tqdm

from .data.datasets import BPRTriples, UserSequences
from .data.splits import TRAIN, VALID, Split
from .device import autocast_dtype, pick_device, seed_everything
from .distributed import rank_and_world, shard, wrap
from .metrics import evaluate_full_ranking
from .models.base import Recommender


@dataclasses.dataclass
class TrainConfig:
    """Knobs of ``fit``. The defaults train the sample's models well without a sweep."""

    epochs: int = 30
    batch_size: int = 2048
    lr: float = 1e-3
    weight_decay: float = 0.0
    reg: float = 1e-4  # BPR L2 on the embeddings a batch touches
    patience: int = 5  # epochs without a better validation metric before stopping
    metric: str = "recall@20"
    eval_every: int = 1
    seed: int = 0
    device: str | torch.device | None = None
    amp: bool = True  # autocast on GPU (bf16/fp16); ignored on CPU
    max_len: int = 50  # history length for sequence models
    checkpoint: str | Path | None = None  # where to save the best state (optional)
    progress: bool = True


@dataclasses.dataclass
class TrainResult:
    """What training did: per-epoch history, the best epoch and its validation metrics.

    ``stopped_early``: training ended because the validation metric stopped improving (or there
    was nothing to train). ``False`` means it ran out of epochs (``TrainConfig.epochs``) first: the
    model may still have been improving, and comparing it with converged models is unfair to it.
    """

    model: Recommender
    history: pd.DataFrame
    best_epoch: int
    best_valid: dict[str, float]
    seconds: float
    stopped_early: bool = True


def eval_device(model: Recommender, device: str | torch.device | None = None) -> torch.device:
    """Where to score ``model``: ``None`` -> where its tensors live (a model trained on the CPU is
    evaluated there even when a GPU is present); a given device -> that one, the model moved there."""
    if device is None:
        tensors = [*model.parameters(), *model.buffers()]
        return tensors[0].device if tensors else pick_device(None)
    device = pick_device(device) if isinstance(device, str) else device
    model.to(device)
    return device


def _batches(model: Recommender, split: Split, cfg: TrainConfig, gen: torch.Generator, bpr: BPRTriples | None):
    if bpr is None:
        data = UserSequences(split.train, split.n_users, cfg.max_len)
        order = torch.randperm(len(data), generator=gen)
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start:start + cfg.batch_size].tolist()
            inputs, targets = zip(*(data[i] for i in idx))
            yield torch.stack(inputs), torch.stack(targets)
    else:
        yield from bpr.batches(cfg.batch_size)


class _Loss(torch.nn.Module):
    """The model's training loss as a ``forward``, so that DistributedDataParallel can wrap it."""

    def __init__(self, model: Recommender, reg: float) -> None:
        super().__init__()
        self.model, self.reg = model, reg

    def forward(self, *batch: torch.Tensor) -> torch.Tensor:
        return self.model.sequence_loss(*batch) if self.model.needs_sequences else self.model.loss(*batch, reg=self.reg)


class _Step:
    """One optimiser step per batch: Adam on the trainable parameters, autocast and gradient
    scaling on GPU (fp16 needs the scaler; bf16 and fp32 do not).

    Under ``torch.distributed`` (:mod:`mmrec_tutorial.distributed`) every process sees the same
    global batch, keeps its own contiguous share of it (:func:`~mmrec_tutorial.distributed.shard`),
    and DistributedDataParallel averages the gradients: with equal shares that is the gradient of
    the whole batch, so the run follows the single-process one.
    """

    def __init__(self, model: Recommender, cfg: TrainConfig, device: torch.device) -> None:
        self.model, self.cfg, self.device = model, cfg, device
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = _adam(params, cfg.lr, cfg.weight_decay)
        self.dtype = autocast_dtype(device) if cfg.amp else None
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.dtype == torch.float16)
        self.rank, self.world = rank_and_world()
        self.loss = wrap(_Loss(model, cfg.reg), device) if self.world > 1 else _Loss(model, cfg.reg)

    def epoch(self, batches) -> float:
        """Train on every batch; the mean loss per example (over all processes)."""
        total, count = 0.0, 0
        for batch in batches:
            batch = [t.to(self.device, non_blocking=True) for t in shard(batch, self.rank, self.world)]
            with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
                loss = self.loss(*batch)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            total += float(loss.detach()) * len(batch[0])
            count += len(batch[0])
        return self._mean(total, count)

    def _mean(self, total: float, count: int) -> float:
        if self.world > 1:
            import torch.distributed as dist  # noqa: PLC0415

            sums = torch.tensor([total, float(count)], dtype=torch.float64, device=self.device)  # NCCL: on the GPU
            dist.all_reduce(sums)
            total, count = float(sums[0]), int(sums[1])
        return total / max(1, count)


def _adam(params: list[torch.nn.Parameter], lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam with its fused kernel (one pass over each parameter per step) where this torch has one
    for the parameters' device (CUDA; CPU from torch 2.4), the for-loop version elsewhere."""
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def fit(model: Recommender, split: Split, cfg: TrainConfig | None = None) -> TrainResult:
    """Train ``model`` on ``split.train``, early-stopping on ``cfg.metric`` over ``split.valid``.

    Pairwise models get BPR triples with fresh negatives every epoch and ``model.loss``;
    sequence models (``needs_sequences``) get ``(inputs, targets)`` histories and
    ``model.sequence_loss``. The best validation state is restored at the end.
    """
    cfg = cfg or TrainConfig()
    device = pick_device(cfg.device)
    gen = seed_everything(cfg.seed)
    model.to(device)
    model.prepare(split)
    start = time.perf_counter()
    valid_sets, train_sets = split.sets(VALID), split.sets(TRAIN)

    def validate() -> dict[str, float]:
        model.eval()
        return evaluate_full_ranking(model.full_scores, valid_sets, train_sets, ks=(10, 20), device=device,
                                     top_only=True).mean()

    if not model.trainable or cfg.epochs == 0:
        best = validate()
        history = pd.DataFrame([{"epoch": 0, "loss": float("nan"), **best, "seconds": time.perf_counter() - start}])
        return TrainResult(model, history, 0, best, time.perf_counter() - start)

    bpr = None if model.needs_sequences else BPRTriples(split.train, split.n_users, split.n_items, seed=cfg.seed)
    step = _Step(model, cfg, device)
    best_metric, best_epoch, best_valid, best_state, bad = float("-inf"), 0, {}, None, 0
    rows = []
    bar = tqdm(range(1, cfg.epochs + 1), desc=type(model).__name__, disable=not cfg.progress, leave=False)
    for epoch in bar:
        model.train()
        model.start_epoch()
        if bpr is not None and epoch > 1:
            bpr.resample()
        row = {"epoch": epoch, "loss": step.epoch(_batches(model, split, cfg, gen, bpr))}
        if epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
            valid = validate()
            row.update(valid)
            if valid[cfg.metric] > best_metric:
                best_metric, best_epoch, best_valid, bad = valid[cfg.metric], epoch, valid, 0
                best_state = copy.deepcopy(model.state_dict())
                if cfg.checkpoint:
                    save_checkpoint(model, cfg.checkpoint)
            else:
                bad += 1
            bar.set_postfix(loss=f"{row['loss']:.4f}", **{cfg.metric: f"{valid[cfg.metric]:.4f}"})
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        if bad >= cfg.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, pd.DataFrame(rows), best_epoch, best_valid, time.perf_counter() - start,
                       stopped_early=bad >= cfg.patience)


def save_checkpoint(model: Recommender, path: str | Path) -> None:
    """Save the model's state (tensors moved to CPU) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)


def load_checkpoint(model: Recommender, path: str | Path) -> Recommender:
    """Load a state saved by ``save_checkpoint`` into ``model`` (on the model's device)."""
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model
