"""Image encoder: robust loading (grayscale, RGBA, palette, 16-bit, corrupt, missing), offline
Lite0 features, loud fallback for torchvision backbones, and the trainable tiny CNN."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mmrec_tutorial.encoders import (ImageEncoder, ModelUnavailableError, TinyImageCNN, images_to_tensor,
                                     load_image, load_pixels)


pytestmark = pytest.mark.usefixtures("one_thread")



def _stripes(rng: np.random.Generator, colours: tuple, size: int = 64) -> np.ndarray:
    y = np.arange(size)[:, None, None]
    period = int(rng.integers(6, 12))
    img = np.where((y // period) % 2 == 0, np.array(colours[0]), np.array(colours[1]))
    img = np.broadcast_to(img, (size, size, 3)).astype(np.float64) + rng.normal(0, 12, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture()
def odd_images(tmp_path):
    """One file of every awkward kind, plus a None and a missing path."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    paths = {}
    paths["rgb"] = tmp_path / "rgb.png"
    Image.fromarray(rgb).save(paths["rgb"])
    paths["gray"] = tmp_path / "gray.png"
    Image.fromarray(rgb[..., 0]).save(paths["gray"])
    paths["rgba"] = tmp_path / "rgba.png"
    alpha = np.zeros((40, 48), dtype=np.uint8)  # fully transparent -> white after compositing
    Image.fromarray(np.dstack([rgb, alpha])).save(paths["rgba"])
    paths["palette"] = tmp_path / "palette.png"
    Image.fromarray(rgb).convert("P").save(paths["palette"])
    paths["gray16"] = tmp_path / "gray16.png"
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 200).save(paths["gray16"])
    paths["jpeg"] = tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(paths["jpeg"])
    good = paths["rgb"].read_bytes()
    paths["truncated"] = tmp_path / "truncated.png"
    paths["truncated"].write_bytes(good[: len(good) // 2])
    paths["garbage"] = tmp_path / "garbage.png"
    paths["garbage"].write_bytes(b"this is not an image at all")
    paths["empty"] = tmp_path / "empty.png"
    paths["empty"].write_bytes(b"")
    paths["absent"] = tmp_path / "absent.png"
    return paths


def test_load_image_handles_every_kind(odd_images):
    expect = {"rgb": None, "jpeg": None, "gray": "converted", "rgba": "converted", "palette": "converted",
              "gray16": "converted", "truncated": "corrupt", "garbage": "corrupt", "empty": "corrupt",
              "absent": "missing"}
    for name, kind in expect.items():
        img, got, detail = load_image(odd_images[name])
        assert got == kind, (name, got, detail)
        assert (img is None) == (kind in ("corrupt", "missing")), name
        if img is not None:
            assert img.mode == "RGB", name
    img, _, detail = load_image(odd_images["rgba"])
    assert np.asarray(img).min() == 255 and "white" in detail  # transparent pixels composited on white
    gray = np.asarray(load_image(odd_images["gray"])[0])
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    g16 = np.asarray(load_image(odd_images["gray16"])[0])
    assert g16.max() == 255 and g16.min() < 50, "16-bit images are rescaled into 8 bits, not clipped"
    assert load_image(None)[1] == "missing"


@pytest.fixture(scope="module")
def lite0() -> ImageEncoder:
    return ImageEncoder(device="cpu", image_size=64, batch_size=4)


def test_encode_masks_and_reports_with_item_ids(lite0, odd_images):
    order = ["rgb", "gray", "rgba", "truncated", "absent", "palette", "garbage", "gray16"]
    paths = [odd_images[k] for k in order] + [None]
    res = lite0.encode(paths, item_ids=[f"i{k}" for k in range(len(paths))], progress=False)
    assert res.features.shape == (9, 1280) and res.features.dtype == torch.float32
    assert res.mask.tolist() == [True, True, True, False, False, True, False, True, False]
    assert torch.equal(res.features[~res.mask], torch.zeros(4, 1280))
    assert res.features[res.mask].abs().sum(dim=1).min() > 0
    by_id = {p.item_id: (p.kind, p.masked) for p in res.problems}
    assert by_id == {"i1": ("converted", False), "i2": ("converted", False), "i3": ("corrupt", True),
                     "i4": ("missing", True), "i5": ("converted", False), "i6": ("corrupt", True),
                     "i7": ("converted", False), "i8": ("missing", True)}
    assert res.info["dim"] == 1280 and "efficientnet-lite0" in res.info["encoder"]


def test_features_are_deterministic_and_batch_independent(lite0, odd_images):
    paths = [odd_images["rgb"], odd_images["gray"], odd_images["jpeg"]]
    a = lite0.encode(paths, progress=False).features
    b = ImageEncoder(device="cpu", image_size=64, batch_size=1).encode(paths, progress=False).features
    assert torch.allclose(a, b, atol=1e-4)


def _striped_covers(folder, prefix: str, styles, n: int, seed: int) -> tuple[list, list[int]]:
    """``n`` striped PNG covers cycling through ``styles`` (palettes); their paths and style labels."""
    rng = np.random.default_rng(seed)
    paths, labels = [], []
    for k in range(n):
        p = folder / f"{prefix}{k}.png"
        Image.fromarray(_stripes(rng, styles[k % len(styles)])).save(p)
        paths.append(p)
        labels.append(k % len(styles))
    return paths, labels


def test_pretrained_features_separate_visual_styles(lite0, tmp_path):
    """Nearest-centroid on frozen features tells two palettes apart: the weights are not random."""
    styles = [((230, 90, 20), (200, 30, 60)), ((20, 80, 170), (30, 170, 190))]
    paths, labels = _striped_covers(tmp_path, "s", styles, 16, seed=1)
    f = torch.nn.functional.normalize(lite0.encode(paths, progress=False).features, dim=1)
    y = torch.tensor(labels)
    train, test = torch.arange(16) < 8, torch.arange(16) >= 8
    centroids = torch.stack([f[train & (y == c)].mean(0) for c in (0, 1)])
    pred = (f[test] @ centroids.T).argmax(1)
    assert (pred == y[test]).float().mean() == 1.0


def test_resolution_changes_the_input_size(odd_images):
    enc = ImageEncoder(device="cpu", image_size=96)
    assert enc.config()["image_size"] == 96 and ImageEncoder.describe(image_size=96) == enc.config()
    x = images_to_tensor([load_image(odd_images["rgb"])[0]], 96)
    assert x.shape == (1, 3, 96, 96)
    assert abs(float(x.mean())) < 1.5, "ImageNet normalisation applied"
    with pytest.raises(ValueError):
        ImageEncoder(device="cpu", image_size=8)


def test_uncached_torchvision_backbone_raises_or_falls_back_loudly(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_torch_home"))  # an empty hub cache
    with pytest.raises(ModelUnavailableError, match="allow_download=True"):
        ImageEncoder("resnet18", device="cpu")
    with pytest.raises(ModelUnavailableError, match="unknown image backbone"):
        ImageEncoder("not_a_model", device="cpu")
    with pytest.warns(RuntimeWarning, match="Falling back"):
        enc = ImageEncoder("resnet18", device="cpu", image_size=64, fallback=True)
    assert "NOT from 'resnet18'" in capsys.readouterr().out
    assert enc.fell_back and enc.dim == 1280 and "lite0" in enc.config()["backbone"]


def test_torchvision_backbone_loads_from_the_hub_cache(monkeypatch, tmp_path):
    """A torchvision model whose weights sit in the hub cache is used, head stripped."""
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = torchvision.models.ResNet18_Weights.DEFAULT
    ckpt = tmp_path / "hub" / "checkpoints" / weights.url.rsplit("/", 1)[-1]
    ckpt.parent.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), ckpt)  # stands in for the real download
    enc = ImageEncoder("resnet18", device="cpu", image_size=64)
    assert enc.dim == 512 and not enc.fell_back and enc.config()["backbone"] == "torchvision:resnet18:IMAGENET1K_V1"
    assert ImageEncoder.describe("resnet18", image_size=64) == enc.config()
    assert torch.allclose(enc.net.conv1.weight, torch.load(ckpt)["conv1.weight"])


def test_tiny_cnn_learns_styles_end_to_end(tmp_path):
    styles = [((230, 90, 20), (200, 30, 60)), ((20, 80, 170), (30, 170, 190)), ((40, 40, 40), (200, 200, 200))]
    paths, labels = _striped_covers(tmp_path, "t", styles, 48, seed=2)
    paths.append(None)
    pixels, mask, problems = load_pixels(paths, size=32, item_ids=[str(i) for i in range(len(paths))])
    assert pixels.shape == (49, 3, 32, 32) and mask.sum() == 48 and problems[0].item_id == "48"
    y = torch.tensor(labels)
    torch.manual_seed(0)
    model = TinyImageCNN(d_out=8)
    classifier = torch.nn.Linear(8, 3)
    opt = torch.optim.Adam(list(model.parameters()) + list(classifier.parameters()), lr=1e-2)
    x = pixels[mask]
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(classifier(model(x[:36])), y[:36])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (classifier(model(x[36:])).argmax(1) == y[36:]).float().mean()
    assert model(x[:2]).shape == (2, 8) and acc >= 0.9
