"""encode_catalog: row order, masks, fill strategies, problems with item ids, and the disk cache."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from mmrec_tutorial.encoders import ItemFeatures, SSLConfig, encode_catalog

SR = 8000
DATA = Path(__file__).resolve().parents[1] / "data_samples"


pytestmark = pytest.mark.usefixtures("one_thread")



def _wav(path: Path, x: np.ndarray, rate: int = SR) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


@pytest.fixture()
def catalog(tmp_path) -> tuple[pd.DataFrame, Path]:
    """Eight items, one of each awkward case, laid out like data_samples/."""
    rng = np.random.default_rng(0)
    (tmp_path / "images").mkdir()
    (tmp_path / "audio").mkdir()
    rows = []
    t = np.arange(SR) / SR
    for k in range(8):
        iid = f"x{k:02d}"
        img = f"images/{iid}.png"
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(tmp_path / img)
        aud = f"audio/{iid}.wav"
        _wav(tmp_path / aud, 0.5 * np.sin(2 * np.pi * (200 + 50 * k) * t) * np.exp(-t * rng.uniform(1, 5)))
        rows.append({"item_id": iid, "title": f"Item {k}", "description": f"A record about topic {k}.",
                     "category": "album", "image": img, "audio": aud})
    frame = pd.DataFrame(rows)
    frame.loc[1, ["title", "description"]] = ["", ""]  # no text
    frame.loc[2, "image"] = ""  # no image path
    png = (tmp_path / "images/x03.png").read_bytes()
    (tmp_path / "images/x03.png").write_bytes(png[: len(png) // 3])  # truncated PNG
    Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(tmp_path / "images/x04.png")  # gray
    _wav(tmp_path / "audio/x05.wav", np.zeros(SR))  # silent
    _wav(tmp_path / "audio/x06.wav", 0.5 * np.sin(2 * np.pi * 300 * np.arange(2 * SR) / (2 * SR)), 2 * SR)
    frame.loc[7, "audio"] = "audio/missing.wav"  # points nowhere
    return frame, tmp_path


def _encode(frame: pd.DataFrame, root: Path, cache: Path, **kw) -> ItemFeatures:
    kw.setdefault("image_size", 64)
    kw.setdefault("ssl", SSLConfig(epochs=2, batch_size=4))
    return encode_catalog(frame, root, device="cpu", cache_dir=cache, progress=False, **kw)


def test_shapes_order_masks_and_problems(catalog, tmp_path):
    frame, root = catalog
    feats = _encode(frame, root, tmp_path / "cache")
    assert feats.item_ids == list(frame.item_id) and len(feats) == 8
    assert feats.dims == {"text": 384, "image": 1280, "audio": 128}
    for m, f in feats.features.items():
        assert f.shape == (8, feats.dims[m]) and f.dtype == torch.float32 and torch.isfinite(f).all()
        assert feats.masks[m].dtype == torch.bool and feats.masks[m].shape == (8,)
    assert feats.masks["text"].tolist() == [True, False] + [True] * 6
    assert feats.masks["image"].tolist() == [True, True, False, False] + [True] * 4
    assert feats.masks["audio"].tolist() == [True] * 5 + [False, True, False]
    table = feats.problems_frame()
    got = set(zip(table.modality, table.item_id, table.kind, table.masked))
    assert got == {("text", "x01", "empty", True), ("image", "x02", "missing", True),
                   ("image", "x03", "corrupt", True), ("image", "x04", "converted", False),
                   ("audio", "x05", "silent", True), ("audio", "x06", "resampled", False),
                   ("audio", "x07", "missing", True)}
    cov = feats.coverage().set_index("modality")
    assert cov.loc["image", "present"] == 6 and cov.loc["text", "fill"] == "mean"


def test_fill_strategies(catalog, tmp_path):
    frame, root = catalog
    mean = _encode(frame, root, tmp_path / "cache", modalities=("image",))
    zeros = _encode(frame, root, tmp_path / "cache", modalities=("image",), fill="zeros")
    m = mean.masks["image"]
    present = mean.features["image"][m]
    assert torch.allclose(mean.features["image"][2], present.mean(0), atol=1e-6)
    assert torch.equal(zeros.features["image"][~m], torch.zeros(2, 1280))
    assert torch.equal(zeros.features["image"][m], present)
    assert mean.info["image"]["fill"] == "mean" and zeros.info["image"]["fill"] == "zeros"
    with pytest.raises(ValueError, match="fill"):
        _encode(frame, root, tmp_path / "cache", fill="median")


def test_rows_follow_the_table_order(catalog, tmp_path):
    frame, root = catalog
    a = _encode(frame, root, tmp_path / "c1", modalities=("text", "image"))
    b = _encode(frame.iloc[::-1].reset_index(drop=True), root, tmp_path / "c2", modalities=("text", "image"))
    assert b.item_ids == a.item_ids[::-1]
    for m in ("text", "image"):
        assert torch.allclose(a.features[m], b.features[m].flip(0), atol=1e-5)
        assert torch.equal(a.masks[m], b.masks[m].flip(0))


def test_second_call_comes_from_the_cache_and_edits_invalidate_it(catalog, tmp_path, monkeypatch):
    frame, root = catalog
    cache = tmp_path / "cache"
    first = _encode(frame, root, cache, audio_encoder="mfcc")
    assert not any(i["from_cache"] for i in first.info.values())
    assert len(list(cache.rglob("*.pt"))) == 3

    import mmrec_tutorial.encoders.catalog as cat

    def no_model(*_a, **_k):
        raise AssertionError("a cache hit must not build an encoder")

    with monkeypatch.context() as mp:
        for name in ("_make_text", "_make_image", "_make_audio"):
            mp.setattr(cat, name, no_model)
        second = _encode(frame, root, cache, audio_encoder="mfcc")
    assert all(i["from_cache"] for i in second.info.values())
    for m in first.features:
        assert torch.equal(first.features[m], second.features[m]) and torch.equal(first.masks[m], second.masks[m])
    assert second.problems_frame().equals(first.problems_frame())

    # change one image's bytes: only the image modality is recomputed
    Image.fromarray(np.full((32, 32, 3), 7, dtype=np.uint8)).save(root / "images/x00.png")
    third = _encode(frame, root, cache, audio_encoder="mfcc")
    assert {m: i["from_cache"] for m, i in third.info.items()} == {"text": True, "image": False, "audio": True}
    assert not torch.equal(third.features["image"][0], first.features["image"][0])
    # a different config is a different entry
    fourth = _encode(frame, root, cache, modalities=("image",), image_size=96)
    assert fourth.info["image"]["from_cache"] is False
    # use_cache=False neither reads nor writes
    n_files = len(list(cache.rglob("*.pt")))
    off = _encode(frame, root, cache, modalities=("text",), use_cache=False)
    assert off.info["text"]["from_cache"] is False and len(list(cache.rglob("*.pt"))) == n_files


def test_audio_training_is_seeded_through_the_catalog(catalog, tmp_path):
    frame, root = catalog
    a = _encode(frame, root, tmp_path / "c1", modalities=("audio",), use_cache=False)
    b = _encode(frame, root, tmp_path / "c2", modalities=("audio",), use_cache=False)
    c = _encode(frame, root, tmp_path / "c3", modalities=("audio",), use_cache=False,
                ssl=SSLConfig(epochs=2, batch_size=4, seed=1))
    assert torch.equal(a.features["audio"], b.features["audio"])
    assert not torch.equal(a.features["audio"], c.features["audio"])
    assert a.info["audio"]["trained_on_clips"] == 6


def test_bad_arguments_fail_clearly(catalog, tmp_path):
    frame, root = catalog
    with pytest.raises(ValueError, match="unknown modalities"):
        _encode(frame, root, tmp_path, modalities=("smell",))
    with pytest.raises(KeyError, match="audio"):
        _encode(frame.drop(columns=["audio"]), root, tmp_path, modalities=("audio",))
    only_text = _encode(frame.drop(columns=["image", "audio"]), root, tmp_path, modalities=("text",))
    assert list(only_text.features) == ["text"]


@pytest.mark.skipif(not (DATA / "items.csv").is_file(), reason="data_samples/ not generated")
def test_sample_catalog_each_modality_knows_its_own_trait(tmp_path):
    """On 60 sample items, nearest-centroid probes (leave-one-out) find each trait best in the
    modality that carries it: genre in text, style in the image, mood in the audio."""
    items = pd.read_csv(DATA / "items.csv", dtype=str, keep_default_na=False).drop_duplicates("item_id")
    items = items.iloc[:60].reset_index(drop=True)
    traits = pd.read_csv(DATA / "traits.csv", dtype=str).set_index("item_id").loc[items.item_id]
    feats = encode_catalog(items, DATA, device="cpu", cache_dir=tmp_path, quick=True, progress=False,
                           ssl=SSLConfig(epochs=5, batch_size=32))
    assert feats.item_ids == list(items.item_id)
    for m in ("image", "audio"):  # every reported problem matches a masked or repaired row
        for p in feats.problems[m]:
            assert feats.masks[m][p.index].item() == (not p.masked)

    def probe(modality: str, trait: str) -> float:
        mask = feats.masks[modality]
        x = feats.features[modality][mask]
        x = torch.nn.functional.normalize((x - x.mean(0)) / (x.std(0) + 1e-6), dim=1)
        y = traits[trait].to_numpy()[mask.numpy()]
        labels = sorted(set(y))
        onehot = torch.tensor([[v == c for c in labels] for v in y], dtype=torch.float32)
        sums = onehot.T @ x  # (classes, d)
        correct = 0
        for i in range(len(y)):  # leave-one-out nearest centroid
            own = onehot[i].argmax()
            cent = sums - onehot[i][:, None] * x[i]
            counts = onehot.sum(0) - onehot[i]
            cent = cent / counts.clamp(min=1)[:, None]
            correct += int((x[i] @ cent.T).argmax() == own)
        return correct / len(y)

    table = {m: {t: probe(m, t) for t in ("genre", "style", "mood")} for m in ("text", "image", "audio")}
    for modality, trait in (("text", "genre"), ("image", "style"), ("audio", "mood")):
        own = table[modality][trait]
        others = [table[o][trait] for o in table if o != modality]
        assert own >= 0.6 and own > max(others) + 0.2, table


def test_thread_setting_is_restored(catalog, tmp_path):
    frame, root = catalog
    before = torch.get_num_threads()
    feats = _encode(frame, root, tmp_path / "cache", modalities=("text",), num_threads=1)
    assert feats.info["text"]["threads"] == 1 and torch.get_num_threads() == before
