"""Reading, validating and cleaning a multimodal catalog (items, users, interactions, media).

Three steps, each a plain function:

1. ``read_catalog(root)`` reads the CSV files into typed tables and raises ``CatalogError``
   (which file, which column, what to do) when a file or a required column is missing.
2. ``validate_catalog(raw)`` lists every problem record by record (file, row, id, what, hint)
   without changing anything, including unreadable, silent or off-rate media files.
3. ``clean_catalog(raw)`` returns a ``Catalog`` ready for modelling and a ``CleaningReport``
   that says what was dropped, repaired or masked and why: nothing disappears silently.

``load_catalog(root)`` does all three. Row numbers in reports are 1-based data rows as a
spreadsheet shows them (the header is row 1, the first record row 2).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .media import SAMPLE_RATE, MediaLimitError, decode_image, is_silent, read_wav
from .modalities import item_text
from .paths import inside_folder

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "items.csv": ("item_id", "title", "description", "category", "image", "audio"),
    "users.csv": ("user_id",),
    "interactions.csv": ("user_id", "item_id", "timestamp"),
}
#: Plausible interaction times: from 2000-01-01 up to the end of 2035 (UTC).
TIMESTAMP_RANGE: tuple[int, int] = (946_684_800, 2_082_758_399)


class CatalogError(ValueError):
    """A catalog cannot be read at all (missing file or column); the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """One finding about one record or file."""

    file: str
    row: int | None  # 1-based spreadsheet row (header = 1), None for whole-file findings
    record_id: str
    kind: str
    message: str
    action: str  # what cleaning does: dropped, repaired, masked, kept
    hint: str = ""


@dataclasses.dataclass
class RawCatalog:
    """The catalog's tables as read from disk (strings kept as strings, nothing dropped)."""

    root: Path
    items: pd.DataFrame
    users: pd.DataFrame
    interactions: pd.DataFrame


@dataclasses.dataclass
class CleaningReport:
    """Everything cleaning found and did, one ``Problem`` per record or file."""

    problems: list[Problem]
    counts_before: dict[str, int]
    counts_after: dict[str, int]

    def to_frame(self) -> pd.DataFrame:
        """One row per problem: file, row, record_id, kind, message, action, hint."""
        cols = [f.name for f in dataclasses.fields(Problem)]
        frame = pd.DataFrame([dataclasses.asdict(p) for p in self.problems], columns=cols)
        return frame.astype({"row": "Int64"})

    def summary(self) -> pd.DataFrame:
        """Counts per (file, kind, action), largest first."""
        frame = self.to_frame()
        if frame.empty:
            return pd.DataFrame(columns=["file", "kind", "action", "count"])
        out = frame.groupby(["file", "kind", "action"]).size().rename("count").reset_index()
        return out.sort_values(["file", "count"], ascending=[True, False], ignore_index=True)

    def __str__(self) -> str:
        lines = [f"{name}: {self.counts_before[name]} rows read, {self.counts_after[name]} kept"
                 for name in self.counts_before]
        lines += [f"  {r.file}: {r.count} x {r.kind} -> {r.action}" for r in self.summary().itertuples()]
        return "\n".join(lines)


@dataclasses.dataclass
class Catalog:
    """A clean catalog. Items and users carry contiguous indices ``item_idx`` / ``user_idx``.

    ``items`` columns: item_idx, item_id, title, description, category, text, image, audio
    (paths relative to ``root``, or None when missing or unusable), has_text, has_image,
    has_audio. ``interactions`` columns:
    user_idx, item_idx, rating, timestamp (one row per user-item pair, the first one kept).
    """

    root: Path
    items: pd.DataFrame
    users: pd.DataFrame
    interactions: pd.DataFrame

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_users(self) -> int:
        return len(self.users)

    def item_index(self, item_ids: list[str] | pd.Series) -> np.ndarray:
        """Map item ids to ``item_idx``; raises ``KeyError`` naming the first unknown id."""
        lookup = pd.Series(self.items["item_idx"].to_numpy(), index=self.items["item_id"])
        missing = [i for i in item_ids if i not in lookup.index]
        if missing:
            raise KeyError(f"unknown item id {missing[0]!r} ({len(missing)} unknown in all)")
        return lookup.loc[list(item_ids)].to_numpy()

    def media_path(self, relative: str | None) -> Path | None:
        """Absolute path of an item's image or audio file (a missing one gives ``None``). A path
        that leads outside the catalog folder raises ``CatalogError`` (cleaning masks such paths)."""
        if relative is None or pd.isna(relative):
            return None
        path = inside_folder(self.root, relative)
        if path is None:
            raise CatalogError(f"{relative}: outside the catalog folder {self.root}; media paths must stay inside it")
        return path

    def cold_items(self) -> np.ndarray:
        """Indices of items with no interaction at all, ``(n_cold,)``."""
        seen = np.zeros(self.n_items, dtype=bool)
        seen[self.interactions["item_idx"].to_numpy()] = True
        return np.flatnonzero(~seen)


def _read_csv(root: Path, name: str) -> pd.DataFrame:
    path = root / name
    if not path.exists():
        raise CatalogError(f"{path}: file not found. A catalog folder needs {', '.join(REQUIRED_COLUMNS)}; "
                           "regenerate the sample with `mmrec-tutorial generate-data --out data_samples`.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise CatalogError(f"{path}: the file is empty; it needs a header row with "
                           f"{', '.join(REQUIRED_COLUMNS[name])}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not a readable CSV file ({exc}); check the delimiter and encoding (UTF-8)") from exc
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in frame.columns]
    if missing:
        raise CatalogError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}. "
                           f"Expected at least {list(REQUIRED_COLUMNS[name])}.")
    return frame


def read_catalog(root: str | Path) -> RawCatalog:
    """Read ``items.csv``, ``users.csv`` and ``interactions.csv`` from ``root`` as string tables."""
    root = Path(root)
    if not root.is_dir():
        raise CatalogError(f"{root}: catalog folder not found. Use the repository's data_samples/ or "
                           "generate one with `mmrec-tutorial generate-data --out <folder>`.")
    return RawCatalog(root=root, items=_read_csv(root, "items.csv"), users=_read_csv(root, "users.csv"),
                      interactions=_read_csv(root, "interactions.csv"))


def _decoded(path: Path, read: Callable[[Path], object], what: str, corrupt: str) -> tuple[object, tuple[str, str] | None]:
    """``(read(path), None)``, or ``(None, (kind, message))`` when the file is missing, over a
    decoding limit or unreadable (kind ``corrupt``)."""
    if not path.exists():
        return None, ("missing-file", f"{what} file {path.name} not found")
    try:
        return read(path), None
    except MediaLimitError as exc:
        return None, ("oversized-media", str(exc).split(": ", 1)[-1])
    except ValueError as exc:
        return None, (corrupt, str(exc).split(": ", 1)[-1])


def check_image(path: Path) -> tuple[str, str] | None:
    """``(kind, message)`` when the image cannot be used as is, else None. Conversions are notes."""
    decoded, finding = _decoded(path, decode_image, "image", "corrupt-image")
    if finding is None and decoded[1] != "RGB":
        return "converted-image", f"image mode {decoded[1]}, converted to RGB on read"
    return finding


def check_audio(path: Path, expected_rate: int = SAMPLE_RATE) -> tuple[str, str] | None:
    """``(kind, message)`` when the clip cannot be used as is, else None."""
    decoded, finding = _decoded(path, read_wav, "audio", "corrupt-audio")
    if finding is not None:
        return finding
    samples, rate = decoded
    if is_silent(samples):
        return "silent-audio", "clip is silent (RMS below 1e-4)"
    if rate != expected_rate:
        return "resampled-audio", f"sampled at {rate} Hz, resampled to {expected_rate} Hz on read"
    return None


_MEDIA_ACTIONS = {"outside-catalog": "masked", "oversized-media": "masked", "missing-file": "masked", "corrupt-image": "masked", "corrupt-audio": "masked",
                  "silent-audio": "masked", "converted-image": "repaired", "resampled-audio": "repaired"}
_MEDIA_HINTS = {"outside-catalog": "media paths must lead to a file inside the catalog folder (relative, without "
                                   "'..' or a symlink out of it); the file was not opened",
                "oversized-media": "shrink or trim the file below the limit; the item is kept without this modality",
                "missing-file": "put the file there or clear the path; the item is kept without this modality",
                "corrupt-image": "re-export the file as PNG/JPEG; the item is kept without an image",
                "corrupt-audio": "re-export as PCM WAV; the item is kept without audio",
                "silent-audio": "check the recording; a silent clip carries no information",
                "converted-image": "", "resampled-audio": ""}


def _media_problems(items: pd.DataFrame, root: Path, rows: np.ndarray, check_media: bool) -> list[Problem]:
    """Findings for the image and audio files of ``items``: a path that leads outside ``root`` is
    always one (and that file is never opened); with ``check_media`` every file inside is decoded
    and checked too."""
    out = []
    for col, check in (("image", check_image), ("audio", check_audio)):
        for row, item_id, rel in zip(rows, items["item_id"], items[col]):
            if not rel:
                continue
            path = inside_folder(root, rel)
            finding = ("outside-catalog", "outside the catalog folder") if path is None else \
                check(path) if check_media else None
            if finding:
                kind, msg = finding
                out.append(Problem("items.csv", int(row), item_id, kind, f"{col} {rel}: {msg}",
                                   _MEDIA_ACTIONS[kind], _MEDIA_HINTS[kind]))
    return out


def _item_problems(items: pd.DataFrame, root: Path, check_media: bool) -> tuple[list[Problem], np.ndarray]:
    """Problems in items.csv and a keep-mask over its rows."""
    problems: list[Problem] = []
    keep = np.ones(len(items), dtype=bool)
    rows = np.arange(len(items)) + 2
    empty_id = items["item_id"].str.strip() == ""
    for row in rows[empty_id.to_numpy()]:
        problems.append(Problem("items.csv", int(row), "", "empty-id", "item_id is empty", "dropped",
                                "give every item a unique id"))
    keep &= ~empty_id.to_numpy()
    dup = items.duplicated("item_id", keep="first").to_numpy() & keep
    first_row = {iid: int(r) for iid, r in zip(items["item_id"][::-1], rows[::-1])}
    for row, iid in zip(rows[dup], items["item_id"][dup]):
        same = items.loc[items["item_id"] == iid].drop_duplicates().shape[0] == 1
        problems.append(Problem("items.csv", int(row), iid, "duplicate-item",
                                f"item_id repeats row {first_row[iid]}" + ("" if same else " with different content"),
                                "dropped", "" if same else "the first row is kept; merge the rows by hand if needed"))
    keep &= ~dup
    text = (items["title"].str.strip() + " " + items["description"].str.strip()).str.strip()
    for row, iid in zip(rows[(text == "").to_numpy() & keep], items["item_id"][(text == "").to_numpy() & keep]):
        problems.append(Problem("items.csv", int(row), iid, "empty-text", "title and description are empty",
                                "masked", "the item is kept without a text modality"))
    no_desc = (items["description"].str.strip() == "").to_numpy() & (text != "").to_numpy() & keep
    for row, iid in zip(rows[no_desc], items["item_id"][no_desc]):
        problems.append(Problem("items.csv", int(row), iid, "empty-description", "description is empty",
                                "kept", "the title alone is the text"))
    problems += _media_problems(items[keep], root, rows[keep], check_media)
    return problems, keep


def _interaction_problems(inter: pd.DataFrame, item_ids: set[str], user_ids: set[str]
                          ) -> tuple[list[Problem], np.ndarray]:
    problems: list[Problem] = []
    rows = np.arange(len(inter)) + 2
    keep = np.ones(len(inter), dtype=bool)
    rid = (inter["user_id"] + "/" + inter["item_id"]).to_numpy()

    def flag(mask: np.ndarray, kind: str, message, hint: str) -> None:
        nonlocal keep
        mask = mask & keep
        for row, r, m in zip(rows[mask], rid[mask], message(mask) if callable(message) else [message] * mask.sum()):
            problems.append(Problem("interactions.csv", int(row), r, kind, m, "dropped", hint))
        keep &= ~mask

    flag(~inter["item_id"].isin(item_ids).to_numpy(), "unknown-item",
         lambda m: [f"item_id {i!r} is not in items.csv" for i in inter["item_id"][m]],
         "add the item to items.csv or drop the row")
    flag(~inter["user_id"].isin(user_ids).to_numpy(), "unknown-user",
         lambda m: [f"user_id {u!r} is not in users.csv" for u in inter["user_id"][m]],
         "add the user to users.csv or drop the row")
    ts = pd.to_numeric(inter["timestamp"], errors="coerce")
    flag(ts.isna().to_numpy(), "bad-timestamp",
         lambda m: [f"timestamp {t!r} is not a number" for t in inter["timestamp"][m]],
         "timestamps are unix seconds (integers)")
    flag(~np.isfinite(ts.fillna(0).to_numpy(dtype=np.float64)), "bad-timestamp",
         lambda m: [f"timestamp {t!r} is not a finite number" for t in inter["timestamp"][m]],
         "timestamps are unix seconds (integers)")
    flag((ts.fillna(0) % 1 != 0).to_numpy(), "bad-timestamp",
         lambda m: [f"timestamp {t!r} is not a whole number of seconds" for t in inter["timestamp"][m]],
         "timestamps are unix seconds (integers); round them before loading")
    lo, hi = TIMESTAMP_RANGE
    out_of_range = ((ts < lo) | (ts > hi)).fillna(False).to_numpy()
    flag(out_of_range, "bad-timestamp",
         lambda m: [f"timestamp {int(t)} is outside {_day(lo)}..{_day(hi)}" for t in ts[m]],
         "fix the clock or the unit (seconds, not milliseconds)")
    exact = inter.duplicated(keep="first").to_numpy()
    flag(exact, "duplicate-interaction", "exact duplicate of an earlier row", "")
    repeat = inter.duplicated(["user_id", "item_id"], keep="first").to_numpy()
    flag(repeat, "repeat-interaction", "user-item pair already seen earlier; the first one is kept",
         "implicit feedback keeps one interaction per pair")
    if "rating" in inter:
        given = inter["rating"].str.strip() != ""
        bad = (given & pd.to_numeric(inter["rating"], errors="coerce").isna()).to_numpy() & keep
        for row, r, value in zip(rows[bad], rid[bad], inter["rating"][bad]):
            problems.append(Problem("interactions.csv", int(row), r, "bad-rating",
                                    f"rating {value!r} is not a number; counted as 1.0 (an implicit interaction)",
                                    "repaired", "ratings are numbers; leave the cell empty for implicit feedback"))
    return problems, keep


def _day(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d")


def validate_catalog(raw: RawCatalog, check_media: bool = True) -> list[Problem]:
    """Every problem in the catalog, record by record; changes nothing."""
    item_problems, item_keep = _item_problems(raw.items, raw.root, check_media)
    users = raw.users
    user_dup = users.duplicated("user_id", keep="first").to_numpy()
    user_problems = [Problem("users.csv", int(r) + 2, u, "duplicate-user", "user_id repeats an earlier row",
                             "dropped", "") for r, u in zip(np.flatnonzero(user_dup), users["user_id"][user_dup])]
    inter_problems, _ = _interaction_problems(raw.interactions, set(raw.items["item_id"][item_keep]),
                                              set(users["user_id"]))
    return item_problems + user_problems + inter_problems


def clean_catalog(raw: RawCatalog, check_media: bool = True) -> tuple[Catalog, CleaningReport]:
    """Apply the cleaning policy and return the clean ``Catalog`` with its ``CleaningReport``.

    Policy: records that cannot be used (unknown ids, bad timestamps, duplicates) are dropped;
    unusable media and empty text are masked (the item stays, without that modality);
    convertible media (grayscale/RGBA images, other sampling rates) are kept and converted on
    read. Items without interactions are kept: they are the cold items.
    """
    item_problems, item_keep = _item_problems(raw.items, raw.root, check_media)
    items = raw.items[item_keep].copy()
    masked = {(p.record_id, p.message.split(" ", 1)[0]) for p in item_problems if p.action == "masked"}
    users = raw.users.drop_duplicates("user_id", keep="first")
    user_problems = [Problem("users.csv", int(r) + 2, u, "duplicate-user", "user_id repeats an earlier row",
                             "dropped", "") for r, u in zip(np.flatnonzero(raw.users.duplicated("user_id").to_numpy()),
                                                            raw.users["user_id"][raw.users.duplicated("user_id")])]
    inter_problems, inter_keep = _interaction_problems(raw.interactions, set(items["item_id"]), set(users["user_id"]))

    items = items.sort_values("item_id", ignore_index=True)
    items.insert(0, "item_idx", np.arange(len(items)))
    items["text"] = [item_text(t, d) or "" for t, d in zip(items["title"], items["description"])]
    for col in ("image", "audio"):
        items[col] = [rel if rel and (iid, col) not in masked else None
                      for iid, rel in zip(items["item_id"], items[col])]
    items["has_text"] = items["text"] != ""
    items["has_image"] = items["image"].notna()
    items["has_audio"] = items["audio"].notna()
    users = users.sort_values("user_id", ignore_index=True)
    users.insert(0, "user_idx", np.arange(len(users)))

    inter = raw.interactions[inter_keep]
    item_idx = pd.Series(items["item_idx"].to_numpy(), index=items["item_id"])
    user_idx = pd.Series(users["user_idx"].to_numpy(), index=users["user_id"])
    rating = pd.to_numeric(inter["rating"], errors="coerce") if "rating" in inter else pd.Series(1.0, inter.index)
    clean_inter = pd.DataFrame({
        "user_idx": user_idx.loc[inter["user_id"]].to_numpy(),
        "item_idx": item_idx.loc[inter["item_id"]].to_numpy(),
        "rating": rating.fillna(1.0).to_numpy(dtype=np.float32),
        "timestamp": pd.to_numeric(inter["timestamp"]).to_numpy(dtype=np.int64),
    }).sort_values(["user_idx", "timestamp"], kind="stable", ignore_index=True)

    catalog = Catalog(root=raw.root, items=items, users=users, interactions=clean_inter)
    cold = catalog.cold_items()
    info = [Problem("items.csv", None, items.at[k, "item_id"], "cold-item", "no interactions", "kept",
                    "a content model can still recommend it") for k in cold]
    report = CleaningReport(
        problems=item_problems + user_problems + inter_problems + info,
        counts_before={"items.csv": len(raw.items), "users.csv": len(raw.users),
                       "interactions.csv": len(raw.interactions)},
        counts_after={"items.csv": len(items), "users.csv": len(users), "interactions.csv": len(clean_inter)})
    return catalog, report


def load_catalog(root: str | Path, check_media: bool = True) -> tuple[Catalog, CleaningReport]:
    """Read and clean the catalog in ``root``; see ``clean_catalog``."""
    return clean_catalog(read_catalog(root), check_media=check_media)
