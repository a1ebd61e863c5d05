"""The MMRec data format (github.com/enoche/MMRec), as Amazon Baby/Sports/Clothing are published.

A folder ``<name>/`` holds

- ``<name>.inter``: tab-separated, header ``userID itemID rating timestamp x_label``; ids are
  0-based and contiguous; ``x_label`` 0/1/2 = train/valid/test;
- ``<modality>_feat.npy`` files, any number (MMRec ships ``text_feat.npy`` and ``image_feat.npy``,
  384-d sentence vectors and 4096-d CNN features): float32 or float64 ``(n_items, d)``, row ``k`` =
  itemID ``k``; or, with ``feature_files``, any ``{modality: file}`` mapping;
- optionally ``i_id_mapping.csv`` (tab-separated ``asin itemID``), used for item names.

An all-zero feature row is read as "this item lacks the modality" (its mask is False).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..modalities import ItemFeatures, ItemProblem
from ..paths import inside_folder
from .base import DatasetFormatError, DatasetUnavailableError, RecDataset, empty_items, keep_first_pairs

INTER_COLUMNS = ("userID", "itemID", "rating", "timestamp", "x_label")
FEATURE_SUFFIX = "_feat.npy"


def feature_files(folder: Path) -> dict[str, str]:
    """``{modality: file}`` of the folder's ``<modality>_feat.npy`` files, text and image first."""
    found = {p.name[: -len(FEATURE_SUFFIX)]: p.name for p in sorted(folder.glob(f"*{FEATURE_SUFFIX}"))}
    order = [m for m in ("text", "image") if m in found] + [m for m in found if m not in ("text", "image")]
    return {m: found[m] for m in order}


def _inter_file(folder: Path, name: str | None) -> Path:
    if name is not None:
        path = folder / f"{name}.inter"
        if not path.is_file():
            raise DatasetUnavailableError(f"{path}: not found; an MMRec folder holds <name>.inter")
        return path
    found = sorted(folder.glob("*.inter"))
    if not found:
        raise DatasetUnavailableError(f"{folder}: no *.inter file. Download an MMRec dataset (e.g. baby) from the "
                                      "links in github.com/enoche/MMRec and unpack it so that the folder holds "
                                      "baby.inter, text_feat.npy and image_feat.npy.")
    if len(found) > 1:
        raise DatasetFormatError(f"{folder}: {len(found)} *.inter files ({', '.join(p.name for p in found)}); "
                                 "say which one with mmrec:<folder>#<name>")
    return found[0]


def read_inter(path: Path) -> pd.DataFrame:
    """Read and check a ``.inter`` file -> columns user_idx, item_idx, rating, timestamp, x_label."""
    try:
        frame = pd.read_csv(path, sep="\t")
    except pd.errors.EmptyDataError:
        raise DatasetFormatError(f"{path}: the file is empty; expected the header {' '.join(INTER_COLUMNS)}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetFormatError(f"{path}: not a tab-separated file ({exc})") from exc
    missing = [c for c in ("userID", "itemID", "x_label") if c not in frame.columns]
    if missing:
        raise DatasetFormatError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}; expected the "
                                 f"header {' '.join(INTER_COLUMNS)} (tab-separated)")
    for col in ("userID", "itemID", "x_label"):
        if not pd.api.types.is_integer_dtype(frame[col]):
            raise DatasetFormatError(f"{path}: column {col} must hold integers, found {frame[col].dtype}")
    if (frame[["userID", "itemID"]] < 0).any().any():
        raise DatasetFormatError(f"{path}: negative ids; MMRec ids are 0-based")
    bad = ~frame["x_label"].isin([0, 1, 2])
    if bad.any():
        raise DatasetFormatError(f"{path}: x_label must be 0/1/2 (train/valid/test); row {int(np.flatnonzero(bad)[0]) + 2} "
                                 f"has {frame['x_label'][bad].iloc[0]}")
    return pd.DataFrame({"user_idx": frame["userID"].astype(np.int64), "item_idx": frame["itemID"].astype(np.int64),
                         "rating": frame["rating"] if "rating" in frame else 1.0,
                         "timestamp": frame["timestamp"] if "timestamp" in frame else 0,
                         "x_label": frame["x_label"].astype(np.int64)})


def _check_contiguous(path: Path, column: str, ids: np.ndarray, n: int) -> None:
    """MMRec ids are 0..n-1 with none left out: a gap would invent users or items that have no
    row anywhere (they would join the full ranking). Raise a ``DatasetFormatError`` naming them."""
    missing = np.setdiff1d(np.arange(n), ids)
    if len(missing):
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise DatasetFormatError(f"{path}: {column}s must be 0..{n - 1} without gaps, but {len(missing)} of them never "
                                 f"occur ({shown}); renumber the ids consecutively (e.g. in order of first "
                                 "appearance) before loading")


def read_features(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """A ``.npy`` feature matrix -> ``(n, d)`` float32 and an ``(n,)`` mask (False on all-zero rows)."""
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DatasetFormatError(f"{path}: not a plain .npy array ({exc})") from exc
    if array.ndim != 2:
        raise DatasetFormatError(f"{path}: expected a 2-D (n_items, d) array, got shape {array.shape}")
    features = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    if not torch.isfinite(features).all():
        raise DatasetFormatError(f"{path}: contains NaN or infinite values")
    return features, features.abs().sum(1) > 0


def load_mmrec(folder: str | Path, name: str | None = None, files: dict[str, str] | None = None) -> RecDataset:
    """Load an MMRec folder (see the module docstring) with its published split (``x_label``).

    ``files``: ``{modality: file name in the folder}``; default: every ``<modality>_feat.npy``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetUnavailableError(f"{folder}: folder not found. Put an MMRec dataset there (<name>.inter, "
                                      "text_feat.npy, image_feat.npy), e.g. from the links in github.com/enoche/MMRec.")
    inter_path = _inter_file(folder, name)
    name = inter_path.stem
    notes: list[str] = []
    inter = keep_first_pairs(read_inter(inter_path), notes, inter_path.name)
    files = feature_files(folder) if files is None else dict(files)
    outside = [f for f in files.values() if inside_folder(folder, f) is None]
    if outside:
        raise DatasetFormatError(f"{folder}: feature file(s) {', '.join(outside)} lead outside the dataset folder; "
                                 "name files inside it (e.g. audio=vggish.npy)")
    absent = [f for f in files.values() if not (folder / f).is_file()]
    if absent:
        raise DatasetUnavailableError(f"{folder}: feature file(s) {', '.join(absent)} not found")
    features, masks = {}, {}
    for modality, file in files.items():
        features[modality], masks[modality] = read_features(folder / file)
    if not features:
        notes.append(f"no *{FEATURE_SUFFIX} feature files: only ID-based models can run")
    rows = {m: f.shape[0] for m, f in features.items()}
    if len(set(rows.values())) > 1:
        raise DatasetFormatError(f"{folder}: feature files disagree on the number of items: {rows}")
    n_items = max([int(inter["item_idx"].max()) + 1] + list(rows.values()))
    if rows and next(iter(rows.values())) < n_items:
        raise DatasetFormatError(f"{folder}: {inter_path.name} uses itemID {n_items - 1} but the feature files have "
                                 f"only {next(iter(rows.values()))} rows (one row per itemID is required)")
    n_users = int(inter["user_idx"].max()) + 1
    _check_contiguous(inter_path, "userID", inter["user_idx"].to_numpy(), n_users)
    if not features:
        _check_contiguous(inter_path, "itemID", inter["item_idx"].to_numpy(), n_items)
    unused = n_items - inter["item_idx"].nunique()
    if unused:
        notes.append(f"{unused} item(s) of the feature files have no interaction in {inter_path.name}: "
                     "they are kept as cold items")
    items = empty_items(n_items, _item_names(folder, n_items))
    for m in features:
        if f"has_{m}" in items:
            items[f"has_{m}"] = masks[m].numpy()
    content = _content(items["item_id"].tolist(), features, masks, files) if features else None
    return RecDataset(name, n_users, n_items, inter, items, root=folder, content=content,
                      source=f"MMRec format ({inter_path.name}" + "".join(f", {m}: {files[m]}" for m in features)
                             + ")", notes=notes)


def _content(item_ids: list[str], features: dict[str, torch.Tensor], masks: dict[str, torch.Tensor],
             files: dict[str, str]) -> ItemFeatures:
    """The feature files as one content object; an all-zero row is a problem of its item (masked)."""
    problems = {m: [ItemProblem(i, item_ids[i], m, "missing", f"all-zero row {i} in {files[m]}", True)
                    for i in torch.nonzero(~masks[m]).flatten().tolist()] for m in features}
    info = {m: {"source": files[m], "encoder": f"precomputed ({files[m]})", "fill": "zeros"} for m in features}
    return ItemFeatures(item_ids, features, masks, problems, info)


def _item_names(folder: Path, n_items: int) -> list[str] | None:
    """Item names from ``i_id_mapping.csv`` (asin by itemID) when present and consistent."""
    path = folder / "i_id_mapping.csv"
    if not path.is_file():
        return None
    try:
        mapping = pd.read_csv(path, sep="\t")
        names = mapping.set_index("itemID")["asin"].astype(str).reindex(range(n_items))
    except (KeyError, ValueError, pd.errors.ParserError):
        return None
    return [str(i) if pd.isna(n) else n for i, n in zip(range(n_items), names)]
