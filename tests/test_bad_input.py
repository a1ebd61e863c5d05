"""The bad-input suite: malformed catalogs, MMRec and MovieLens folders and CLI options, one case each.

Every case builds its input in a temp folder (from the tiny generated catalog or the fixtures),
then asserts the category of the outcome — a per-record **finding** in the cleaning report, or a
**clear error** (the package's own exception type, or exit code 2 with ``error:``) — and its message.
Nothing may end in another exception or a traceback.
"""

from __future__ import annotations

import shutil
import struct
import wave
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from mmrec_tutorial.cli import main
from mmrec_tutorial.data.adapters import DatasetFormatError, load_dataset, load_mmrec, load_movielens
from mmrec_tutorial.data.catalog import CatalogError, load_catalog

FIXTURES = Path(__file__).resolve().parent / "fixtures"


# ---------------------------------------------------------------- helpers that break a catalog

def _edit_csv(name: str, column: str, value: str, row: int = 0) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame.loc[row, column] = value
        frame.to_csv(folder / name, index=False)
    return edit


def _media(column: str, relative: str, write: Callable[[Path], None] | None = None) -> Callable[[Path], None]:
    """Point item 0's ``column`` at ``relative`` (written by ``write`` when given)."""
    def edit(folder: Path) -> None:
        if write is not None:
            write(folder / relative)
        _edit_csv("items.csv", column, relative)(folder)
    return edit


def _outside_png(folder: Path) -> None:
    """A valid image outside the catalog, at ../outside/ok.png."""
    (folder.parent / "outside").mkdir(exist_ok=True)
    Image.new("RGB", (8, 8), (1, 2, 3)).save(folder.parent / "outside" / "ok.png")


def _symlink_out(path: Path) -> None:
    _outside_png(path.parent.parent)
    path.symlink_to(path.parent.parent.parent / "outside" / "ok.png")


def _bomb_png(path: Path) -> None:
    """A 69-byte PNG whose header claims 30000 x 30000 pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


def _big_png(path: Path) -> None:
    Image.new("RGB", (5000, 5000), (9, 9, 9)).save(path)  # 25M pixels: small file, large decode


def _wav(channels: int = 1, frames: int = 800, claimed_frames: int | None = None) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with wave.open(str(path), "wb") as f:
            f.setnchannels(channels), f.setsampwidth(2), f.setframerate(8000)
            f.writeframes(np.zeros(frames * channels, "<i2").tobytes())
        if claimed_frames is not None:  # a header that lies about the length
            data = bytearray(path.read_bytes())
            data[40:44] = struct.pack("<I", claimed_frames * channels * 2)
            path.write_bytes(bytes(data))
    return write


def _truncated_png(path: Path) -> None:
    Image.new("RGB", (32, 32), (200, 10, 10)).save(path)
    path.write_bytes(path.read_bytes()[:60])


def _remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def _drop_column(name: str, column: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame.drop(columns=column).to_csv(folder / name, index=False)
    return edit


# (case id, how to break the catalog, "finding" or "error", finding kind or error text, message text)
CATALOG_CASES = [
    ("media path with ..", _media("image", "../outside/ok.png", lambda p: _outside_png(p.parent.parent / "x")),
     "finding", "outside-catalog", "outside the catalog folder"),
    ("absolute media path", _media("audio", "/etc/passwd"), "finding", "outside-catalog", "outside the catalog"),
    ("symlink out of the folder", _media("image", "images/link.png", _symlink_out),
     "finding", "outside-catalog", "outside the catalog"),
    ("decompression bomb PNG", _media("image", "images/bomb.png", _bomb_png), "finding", "oversized-media",
     "decompression bomb"),
    ("25-megapixel image", _media("image", "images/big.png", _big_png), "finding", "oversized-media", "5000 x 5000"),
    ("truncated PNG", _media("image", "images/cut.png", _truncated_png), "finding", "corrupt-image", ""),
    ("WAV with 12 channels", _media("audio", "audio/wide.wav", _wav(channels=12)), "finding", "oversized-media",
     "12 channels"),
    ("WAV header claims an hour", _media("audio", "audio/long.wav", _wav(claimed_frames=8000 * 3600)),
     "finding", "oversized-media", "3600 s"),
    ("WAV that is text", _media("audio", "audio/text.wav", lambda p: p.write_text("RIFF nonsense")),
     "finding", "corrupt-audio", "not a readable PCM WAV"),
    ("timestamp inf", _edit_csv("interactions.csv", "timestamp", "inf"), "finding", "bad-timestamp",
     "not a finite number"),
    ("fractional timestamp", _edit_csv("interactions.csv", "timestamp", "1600000000.5"), "finding",
     "bad-timestamp", "whole number"),
    ("rating that is text", _edit_csv("interactions.csv", "rating", "five"), "finding", "bad-rating",
     "counted as 1.0"),
    ("unknown item id", _edit_csv("interactions.csv", "item_id", "nope"), "finding", "unknown-item", "'nope'"),
    ("no items.csv", _remove("items.csv"), "error", CatalogError, "items.csv: file not found"),
    ("items.csv is binary", _write("items.csv", bytes(range(256)) * 4), "error", CatalogError, "items.csv"),
    ("items.csv lacks item_id", _drop_column("items.csv", "item_id"), "error", CatalogError, "missing column"),
]


@pytest.mark.parametrize("case, breaks, category, kind, message", CATALOG_CASES, ids=[c[0] for c in CATALOG_CASES])
def test_bad_catalog_input(case, breaks, category, kind, message, tiny_catalog_dir, tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(tiny_catalog_dir, folder)
    breaks(folder)
    if category == "error":
        with pytest.raises(kind, match=message):
            load_catalog(folder)
        return
    catalog, report = load_catalog(folder)
    found = [p for p in report.problems if p.kind == kind and message in p.message]
    assert found, (case, [(p.kind, p.message) for p in report.problems if p.file == found])
    if kind in ("outside-catalog", "oversized-media", "corrupt-image", "corrupt-audio"):
        column = "image" if "image" in found[0].message else "audio"
        item = catalog.items.set_index("item_id").loc[found[0].record_id]
        assert pd.isna(item[column]) and not item[f"has_{column}"]  # masked: no encoder will open it


def test_an_outside_path_is_never_opened(tiny_catalog_dir, tmp_path, monkeypatch):
    folder = tmp_path / "catalog"
    shutil.copytree(tiny_catalog_dir, folder)
    _media("image", "../outside/ok.png", lambda p: _outside_png(p.parent.parent / "x"))(folder)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda fp, *a, **k: (opened.append(str(fp)), real_open(fp, *a, **k))[1])
    catalog, _ = load_catalog(folder)
    assert opened and not any(p.endswith("outside/ok.png") for p in opened)
    with pytest.raises(CatalogError, match="outside the catalog folder"):
        catalog.media_path("../outside/ok.png")


# ---------------------------------------------------------------- MMRec and MovieLens folders

def _mmrec(tmp_path: Path, inter: str | None = None, features: dict[str, np.ndarray] | None = None) -> Path:
    folder = tmp_path / "mm"
    shutil.copytree(FIXTURES / "mmrec" / "tiny", folder)
    if inter is not None:
        (folder / "tiny.inter").write_text(inter)
    for name, array in (features or {}).items():
        np.save(folder / name, array)
    return folder


HEADER = "userID\titemID\trating\ttimestamp\tx_label\n"


def test_mmrec_id_gaps_are_errors_not_phantom_rows(tmp_path):
    folder = _mmrec(tmp_path, HEADER + "0\t0\t1\t1\t0\n5\t1\t1\t1\t0\n")  # users 1-4 never occur
    with pytest.raises(DatasetFormatError, match=r"userIDs must be 0\.\.5 without gaps, but 4 of them never occur"):
        load_mmrec(folder)
    for f in ("text_feat.npy", "image_feat.npy"):
        (folder / f).unlink()
    (folder / "tiny.inter").write_text(HEADER + "0\t0\t1\t1\t0\n1\t400\t1\t1\t2\n")  # no features: items 1-399 invented
    with pytest.raises(DatasetFormatError, match="itemIDs must be 0..400 without gaps"):
        load_mmrec(folder)


def test_mmrec_items_only_in_the_feature_files_are_cold_items_with_a_note(tmp_path):
    rows = "".join(f"{u}\t{u % 10}\t1\t1\t{u % 3}\n" for u in range(20))  # items 10-14 only in the features
    ds = load_mmrec(_mmrec(tmp_path, HEADER + rows))
    assert ds.n_items == 15 and any("5 item(s) of the feature files have no interaction" in n for n in ds.notes)


@pytest.mark.parametrize("spec_tail, message", [(";audio=../outside.npy", "lead outside the dataset folder"),
                                                (";audio=/etc/passwd", "lead outside the dataset folder")])
def test_mmrec_feature_files_stay_inside_the_folder(tmp_path, spec_tail, message):
    folder = _mmrec(tmp_path)
    np.save(tmp_path / "outside.npy", np.ones((15, 4), np.float32))
    with pytest.raises(DatasetFormatError, match=message):
        load_dataset(f"mmrec:{folder}{spec_tail}")


@pytest.mark.parametrize("array, message", [
    (np.full((15, 8), np.nan, np.float32), "NaN or infinite"),
    (np.zeros((15,), np.float32), "2-D"),
    (np.array([{"a": 1}] * 15, dtype=object), "not a plain .npy array"),
])
def test_mmrec_bad_feature_files(tmp_path, array, message):
    with pytest.raises(DatasetFormatError, match=message):
        load_mmrec(_mmrec(tmp_path, features={"text_feat.npy": array}))


def test_movielens_saved_as_utf8_is_read_as_utf8_with_a_note(tmp_path):
    folder = tmp_path / "ml"
    shutil.copytree(FIXTURES / "ml-100k", folder)
    text = (folder / "u.item").read_bytes().decode("latin-1")
    (folder / "u.item").write_bytes(text.encode("utf-8"))
    ds = load_movielens(folder, "100k")
    assert ds.items.set_index("item_id").loc["12", "title"] == "Misérables, Les (1995)"  # no mojibake
    assert any("u.item is UTF-8" in n for n in ds.notes)
    assert not any("UTF-8" in n for n in load_movielens(FIXTURES / "ml-100k", "100k").notes)


def test_movielens_rows_that_are_not_numbers_name_the_line(tmp_path):
    folder = tmp_path / "ml"
    shutil.copytree(FIXTURES / "ml-100k", folder)
    (folder / "u.data").write_text("1\t2\tfive\t880000000\n")
    with pytest.raises(DatasetFormatError, match=r"line 1: rating 'five' is not a number"):
        load_movielens(folder, "100k")


# ---------------------------------------------------------------- the command line

CLI_CASES = [
    (["evaluate", "--models", "bpr,nope"], "unknown model(s) nope"),
    (["evaluate", "--epochs", "0"], "--epochs: 0 is out of range"),
    (["evaluate", "--epochs", "many"], "'many' is not an integer"),
    (["evaluate", "--cold-frac", "1.5"], "--cold-frac: 1.5 is out of range"),
    (["evaluate", "--n-boot", "-3"], "--n-boot: -3 is out of range"),
    (["evaluate", "--threads", "0"], "--threads: 0 is out of range"),
    (["evaluate", "--data", "nosuch:thing", "--models", "popularity"], "unknown dataset spec"),
    (["evaluate", "--data", "mmrec:/no/such/folder", "--models", "popularity"], "folder not found"),
    (["evaluate", "--data", "catalog:/no/such/folder", "--models", "popularity"], "catalog folder not found"),
    (["generate-data", "--n-items", "-5"], "--n-items: -5 is out of range"),
    (["generate-data", "--n-items", "5", "--min-interactions", "9", "--out", "{tmp}/g"], "cannot exceed n_items"),
    (["generate-data", "--out", "{catalog}"], "is not empty; pass"),
    (["check-data", "/etc/passwd"], "catalog folder not found"),
    (["check-data", "{tmp}"], "items.csv: file not found"),
]


@pytest.mark.parametrize("argv, message", CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES])
def test_bad_cli_input_is_a_clear_error(argv, message, tiny_catalog_dir, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, catalog=tiny_catalog_dir) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err, err
