"""Reading, validation and cleaning: clear errors, a per-record report, nothing lost silently."""

from __future__ import annotations

import shutil
import wave

import numpy as np
import pandas as pd
import pytest

from mmrec_tutorial.data import CatalogError, clean_catalog, load_catalog, read_catalog, validate_catalog
from mmrec_tutorial.data.catalog import check_audio, check_image
from mmrec_tutorial.data.media import read_image, read_wav, write_png, write_wav


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_missing_folder_file_and_column_are_clear_errors(tiny_catalog_dir, tmp_path):
    with pytest.raises(CatalogError, match="catalog folder not found"):
        read_catalog(tmp_path / "nope")
    root = _copy(tiny_catalog_dir, tmp_path / "c")
    (root / "users.csv").unlink()
    with pytest.raises(CatalogError, match=r"users\.csv: file not found.*generate-data"):
        read_catalog(root)
    root = _copy(tiny_catalog_dir, tmp_path / "d")
    pd.read_csv(root / "interactions.csv").drop(columns=["timestamp"]).to_csv(root / "interactions.csv", index=False)
    with pytest.raises(CatalogError, match=r"interactions\.csv: missing column\(s\) \['timestamp'\]"):
        read_catalog(root)


def test_report_accounts_for_every_row(sample):
    catalog, report = sample
    dropped = report.to_frame().query("action == 'dropped'").groupby("file").size()
    for name, before in report.counts_before.items():
        assert before - dropped.get(name, 0) == report.counts_after[name], name
    assert len(catalog.interactions) == report.counts_after["interactions.csv"]
    assert not catalog.interactions.duplicated(["user_idx", "item_idx"]).any()


def test_sample_report_finds_every_planted_problem(sample):
    _, report = sample
    kinds = report.to_frame().groupby("kind").size().to_dict()
    assert kinds == {"bad-timestamp": 9, "cold-item": 30, "converted-image": 6, "corrupt-audio": 1,
                     "corrupt-image": 2, "duplicate-interaction": 120, "duplicate-item": 2,
                     "empty-description": 5, "empty-text": 3, "missing-file": 2, "repeat-interaction": 3,
                     "resampled-audio": 4, "silent-audio": 2, "unknown-item": 12, "unknown-user": 6}


def test_problems_name_file_row_and_record(tiny_catalog_dir, tmp_path):
    root = _copy(tiny_catalog_dir, tmp_path / "c")
    inter = pd.read_csv(root / "interactions.csv", dtype=str)
    inter.loc[len(inter)] = ["u00001", "i00001", "3", "not-a-time"]
    inter.to_csv(root / "interactions.csv", index=False)
    problems = validate_catalog(read_catalog(root))
    bad = [p for p in problems if p.kind == "bad-timestamp" and "not a number" in p.message]
    assert len(bad) == 1
    assert bad[0].file == "interactions.csv" and bad[0].row == len(inter) + 1 and bad[0].record_id == "u00001/i00001"
    assert bad[0].action == "dropped" and bad[0].hint


def test_bad_media_are_masked_or_converted(tiny_catalog_dir, tmp_path):
    root = _copy(tiny_catalog_dir, tmp_path / "c")
    items = pd.read_csv(root / "items.csv", keep_default_na=False)
    first, second, third, fourth = items["item_id"][:4]
    (root / "images" / f"{first}.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")  # corrupt image
    write_png(root / "images" / f"{second}.png", np.full((64, 64, 4), 200, np.uint8))  # RGBA
    write_wav(root / "audio" / f"{third}.wav", np.zeros(8000, np.float32), 8000)  # silent
    write_wav(root / "audio" / f"{fourth}.wav", np.sin(np.arange(22050) / 5).astype(np.float32), 22050)  # off-rate
    items.loc[:3, "image"] = [f"images/{i}.png" for i in items["item_id"][:4]]
    items.loc[:3, "audio"] = [f"audio/{i}.wav" for i in items["item_id"][:4]]
    items.to_csv(root / "items.csv", index=False)
    catalog, report = load_catalog(root)
    frame = report.to_frame()
    found = {(r.record_id, r.kind): r.action for r in frame.itertuples()}
    assert found[(first, "corrupt-image")] == "masked"
    assert found[(second, "converted-image")] == "repaired"
    assert found[(third, "silent-audio")] == "masked"
    assert found[(fourth, "resampled-audio")] == "repaired"
    row = catalog.items.set_index("item_id")
    assert not row.at[first, "has_image"] and row.at[second, "has_image"]
    assert not row.at[third, "has_audio"] and row.at[fourth, "has_audio"]
    assert read_image(catalog.media_path(row.at[second, "image"])).shape == (64, 64, 3)


def test_media_checks_and_readers(tmp_path):
    assert check_image(tmp_path / "missing.png")[0] == "missing-file"
    gray = tmp_path / "g.png"
    write_png(gray, np.zeros((8, 8), np.uint8))
    assert check_image(gray)[0] == "converted-image" and read_image(gray).shape == (8, 8, 3)
    clip = tmp_path / "c.wav"
    write_wav(clip, 0.5 * np.sin(np.arange(8000) / 3).astype(np.float32), 8000)
    assert check_audio(clip) is None
    samples, rate = read_wav(clip)
    assert rate == 8000 and samples.shape == (8000,) and 0.45 < np.abs(samples).max() <= 0.5
    stereo = tmp_path / "s.wav"
    with wave.open(str(stereo), "wb") as f:
        f.setnchannels(2), f.setsampwidth(2), f.setframerate(8000)
        f.writeframes(np.full(200, 1000, "<i2").tobytes())
    assert read_wav(stereo)[0].shape == (100,)
    junk = tmp_path / "j.wav"
    junk.write_bytes(b"nonsense")
    with pytest.raises(ValueError, match="j.wav: not a readable PCM WAV"):
        read_wav(junk)
    assert check_audio(junk)[0] == "corrupt-audio"


def test_clean_catalog_indices_and_cold_items(sample):
    catalog, _ = sample
    assert list(catalog.items["item_idx"]) == list(range(catalog.n_items))
    assert catalog.items["item_id"].is_unique and catalog.users["user_id"].is_unique
    inter = catalog.interactions
    assert inter["item_idx"].between(0, catalog.n_items - 1).all()
    assert inter["user_idx"].between(0, catalog.n_users - 1).all()
    cold = catalog.cold_items()
    assert len(cold) == 30 and not inter["item_idx"].isin(cold).any()
    assert list(catalog.item_index(["i00003", "i00000"])) == [3, 0]
    with pytest.raises(KeyError, match="i99999"):
        catalog.item_index(["i99999"])
    empty = catalog.items[~catalog.items["has_text"]]
    assert len(empty) == 3 and (empty["text"] == "").all()


def test_cleaning_is_idempotent_on_clean_data(tiny_catalog_dir, tmp_path):
    catalog, report = load_catalog(tiny_catalog_dir)
    root = tmp_path / "clean"
    shutil.copytree(tiny_catalog_dir, root)
    items = read_catalog(root).items.drop_duplicates("item_id")
    items.to_csv(root / "items.csv", index=False)
    inter = catalog.interactions.assign(user_id=catalog.users["user_id"].to_numpy()[catalog.interactions["user_idx"]],
                                        item_id=catalog.items["item_id"].to_numpy()[catalog.interactions["item_idx"]])
    inter[["user_id", "item_id", "rating", "timestamp"]].astype({"rating": int}).to_csv(root / "interactions.csv",
                                                                                          index=False)
    again, report2 = clean_catalog(read_catalog(root))
    assert not report2.to_frame().query("file == 'interactions.csv'").shape[0]
    assert len(again.interactions) == len(catalog.interactions)
