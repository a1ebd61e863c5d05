"""Last.fm 2K with real text and audio features (HetRec 2011, extended by Spillo et al., RecSys 2025).

1,858 users, 1,425 artists (the items), 56,345 user-artist pairs, in MMRec format with the
published 8:1:1 split (``x_label``). Each artist has

- ``text``: the 384-d all-MiniLM-L6-v2 vector of its Last.fm tags (``all-MiniLM-L6-v2.npy``), and
  the tags themselves (``lfm2k_text.tsv``) as the item description, so the course's own text
  encoder can read them too;
- ``vggish`` and ``whisper``: two audio modalities, 128-d VGGish and 512-d Whisper-encoder vectors
  of the artist's songs (``vggish.npy`` is float64 upstream; it is read as float32);
- its name (``artists.dat``), as the item title; ``lfm2k_og_ids.inter`` (the same rows with the
  original Last.fm ids) maps itemID to artist id.

There are no timestamps (a temporal split is impossible) and no image features in this copy.
Licence: non-commercial research use; the files are downloaded on demand, never shipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..modalities import item_text
from .base import DatasetFormatError, RecDataset
from .download import FILE_SETS, ensure_files
from .mmrec import load_mmrec

FEATURES = {"text": "all-MiniLM-L6-v2.npy", "vggish": "vggish.npy", "whisper": "whisper.npy"}
#: Broad genres, most specific first: an artist's genre is the first whose name is one of its tags.
GENRES = ("hip-hop", "metal", "punk", "jazz", "electronic", "folk", "indie", "rock", "pop")


def broad_genre(description: str | None) -> str | None:
    """The first of :data:`GENRES` among the tags of an item description ("Tags: a, b."), or ``None``."""
    if not description:
        return None
    tags = {t.strip() for t in description.removeprefix("Tags: ").rstrip(".").split(",")}
    return next((g for g in GENRES if g in tags), None)


def _artist_of_item(folder: Path, n_items: int) -> np.ndarray:
    """``(n_items,)`` Last.fm artist id of each itemID, from the row-aligned original-id file."""
    ours = pd.read_csv(folder / "lfm2k.inter", sep="\t", usecols=["itemID"])["itemID"].to_numpy()
    original = pd.read_csv(folder / "lfm2k_og_ids.inter", sep="\t", usecols=["itemID"])["itemID"].to_numpy()
    if len(ours) != len(original):
        raise DatasetFormatError(f"{folder}: lfm2k.inter and lfm2k_og_ids.inter differ in length "
                                 f"({len(ours)} vs {len(original)} rows); they must be row-aligned")
    pairs = pd.DataFrame({"item": ours, "artist": original}).drop_duplicates()
    if pairs["item"].duplicated().any() or len(pairs) != n_items:
        raise DatasetFormatError(f"{folder}: itemID and artist id are not one-to-one across the two .inter files")
    return pairs.set_index("item")["artist"].reindex(range(n_items)).to_numpy()


def load_lfm2k(folder: str | Path | None = None, cache_dir: str | Path | None = None,
               download: bool = True) -> RecDataset:
    """Load Last.fm 2K (see the module docstring) from ``folder``, else from ``$MMREC_DATA_DIR/lfm2k``
    or the dataset cache, downloading the pinned files when allowed."""
    folder = Path(folder) if folder is not None else ensure_files("lfm2k", cache_dir, download)
    ds = load_mmrec(folder, "lfm2k", FEATURES)
    artists = _artist_of_item(folder, ds.n_items)
    names = pd.read_csv(folder / "artists.dat", sep="\t", usecols=["id", "name"], encoding="utf-8",
                        quoting=3).set_index("id")["name"]
    tags = pd.read_csv(folder / "lfm2k_text.tsv", sep="\t", encoding="utf-8", quoting=3).set_index("artistID")["text"]
    items = ds.items
    items["item_id"] = [str(a) for a in artists]
    items["title"] = names.reindex(artists).fillna("").to_numpy()
    items["description"] = ["Tags: " + t.replace(",", ", ") + "." if isinstance(t, str) and t else ""
                            for t in tags.reindex(artists)]
    items["text"] = [item_text(t, d) for t, d in zip(items["title"], items["description"])]
    items["has_text"] = items["text"].notna()
    ds.content.item_ids = items["item_id"].tolist()  # type: ignore[union-attr]  (the three feature files)
    ds.source = f"Last.fm 2K, multimodal (Spillo et al., 2025); {FILE_SETS['lfm2k'].licence}"
    ds.notes.append("no timestamps in this dataset: the temporal split (and the sequence models) cannot run")
    return ds
