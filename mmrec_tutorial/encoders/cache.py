"""An on-disk cache of encoded modalities, so that rerunning a notebook does not recompute.

One ``.pt`` file per (modality, encoder name + config, content of the inputs). The content is
hashed, not the paths: the texts themselves, and the bytes of every image / audio file, so
that editing a file invalidates the entry and moving the catalog does not. Entries are plain
``torch.save`` dictionaries; deleting the folder (or any file in it) is always safe.

Location: ``cache_dir`` if given, else the ``MMREC_CACHE_DIR`` environment variable, else
``~/.cache/mmrec_tutorial``. Entries live under ``<cache_dir>/embeddings/<modality>/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from .base import EncodedModality, ItemProblem

__all__ = ["EmbeddingCache", "default_cache_dir", "hash_file", "hash_text"]

#: Bump when the stored layout or the meaning of cached vectors changes.
CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$MMREC_CACHE_DIR`` if set, else ``~/.cache/mmrec_tutorial``."""
    env = os.environ.get("MMREC_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mmrec_tutorial"


def hash_text(text: str | None) -> str:
    """Content hash of one text (``None`` has its own marker)."""
    if text is None:
        return "none"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_file(path: str | Path | None) -> str:
    """Content hash of one file's bytes; a marker naming the path when it is absent."""
    if path is None:
        return "none"
    p = Path(path)
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{p.name}"


class EmbeddingCache:
    """Load and store :class:`EncodedModality` results by content key."""

    def __init__(self, cache_dir: str | Path | None = None) -> None:
        self.root = (Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()) / "embeddings"

    @staticmethod
    def key(modality: str, config: dict[str, Any], content_hashes: Sequence[str]) -> str:
        """A stable hex key of the modality, the encoder config and the input hashes (in order)."""
        payload = json.dumps({"format": CACHE_FORMAT, "modality": modality, "config": config,
                              "content": list(content_hashes)}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def path(self, modality: str, key: str) -> Path:
        return self.root / modality / f"{key}.pt"

    def load(self, modality: str, key: str) -> EncodedModality | None:
        """The cached result, or ``None`` when absent or unreadable (then it is recomputed)."""
        path = self.path(modality, key)
        if not path.is_file():
            return None
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
            return EncodedModality(
                features=data["features"], mask=data["mask"],
                problems=[ItemProblem.from_dict(p) for p in data["problems"]],
                info=json.loads(data["info"]))
        except Exception as exc:  # a damaged entry must never break a notebook
            warnings.warn(f"ignoring unreadable cache entry {path} ({exc}); recomputing", stacklevel=2)
            return None

    def save(self, modality: str, key: str, result: EncodedModality) -> Path:
        """Write atomically (temp file + rename) so an interrupted run leaves no half file."""
        path = self.path(modality, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"features": result.features.detach().to("cpu", torch.float32).contiguous(),
                "mask": result.mask.detach().to("cpu", torch.bool).contiguous(),
                "problems": [p.to_dict() for p in result.problems],
                "info": json.dumps(result.info, default=str)}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        try:
            torch.save(data, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return path

    def clear(self, modality: str | None = None) -> int:
        """Delete cached entries (of one modality, or all); returns how many files went."""
        folder = self.root / modality if modality else self.root
        removed = 0
        for f in folder.rglob("*.pt") if folder.exists() else []:
            f.unlink()
            removed += 1
        return removed
