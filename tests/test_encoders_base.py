"""The common face of the encoders: fill strategies, projection head, results, on-disk cache."""

from __future__ import annotations

import pytest
import torch

from mmrec_tutorial.encoders import (EmbeddingCache, EncodedModality, ItemProblem, ProjectionHead,
                                     default_cache_dir, fill_missing)
from mmrec_tutorial.encoders.cache import hash_file, hash_text


def test_fill_mean_uses_present_rows_only():
    feats = torch.tensor([[1.0, 2.0], [0.0, 0.0], [3.0, 6.0]])
    mask = torch.tensor([True, False, True])
    out = fill_missing(feats, mask, "mean")
    assert torch.equal(out[1], torch.tensor([2.0, 4.0]))
    assert torch.equal(out[[0, 2]], feats[[0, 2]])
    assert torch.equal(feats[1], torch.zeros(2)), "the input must not be modified"


@pytest.mark.parametrize("strategy", ["zeros", "none"])
def test_fill_zeros(strategy):
    feats = torch.ones(3, 4)
    out = fill_missing(feats, torch.tensor([True, False, False]), strategy)
    assert torch.equal(out[1:], torch.zeros(2, 4)) and torch.equal(out[0], torch.ones(4))


def test_fill_mean_with_nothing_present_gives_zeros_and_bad_strategy_raises():
    out = fill_missing(torch.ones(2, 3), torch.tensor([False, False]), "mean")
    assert torch.equal(out, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="fill strategy"):
        fill_missing(torch.ones(2, 3), torch.tensor([True, False]), "median")


def test_encoded_modality_checks_shapes_and_attaches_ids():
    with pytest.raises(ValueError):
        EncodedModality(torch.zeros(3, 2), torch.ones(2, dtype=torch.bool), [])
    res = EncodedModality(torch.zeros(2, 5), torch.tensor([True, False]),
                          [ItemProblem(1, None, "text", "empty", "no text", True)])
    named = res.with_item_ids(["a", "b"])
    assert res.dim == 5 and named.problems[0].item_id == "b" and res.problems[0].item_id is None


@pytest.mark.parametrize("hidden,layer_norm", [(None, True), (32, False), (32, True)])
def test_projection_head_shapes_and_gradients(hidden, layer_norm):
    torch.manual_seed(0)
    head = ProjectionHead(384, 16, hidden, layer_norm=layer_norm)
    x = torch.randn(7, 384, requires_grad=True)
    y = head(x)
    assert y.shape == (7, 16)
    if layer_norm:  # LayerNorm output: zero mean, unit variance per row
        assert torch.allclose(y.mean(dim=1), torch.zeros(7), atol=1e-5)
        assert torch.allclose(y.var(dim=1, unbiased=False), torch.ones(7), atol=1e-3)
    y.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in head.parameters())
    has_gelu = any(isinstance(m, torch.nn.GELU) for m in head.modules())
    assert has_gelu == bool(hidden)


def _result(n: int = 4, d: int = 3) -> EncodedModality:
    feats = torch.arange(n * d, dtype=torch.float32).view(n, d)
    mask = torch.tensor([True] * (n - 1) + [False])
    problems = [ItemProblem(n - 1, "x9", "image", "corrupt", "cannot decode", True)]
    return EncodedModality(feats, mask, problems, {"encoder": "image:test", "seconds": 1.5})


def test_cache_round_trip(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = cache.key("image", {"backbone": "b"}, ["h1", "h2", "h3", "h4"])
    assert cache.load("image", key) is None
    path = cache.save("image", key, _result())
    assert path.is_file() and path.suffix == ".pt" and str(path).startswith(str(tmp_path))
    back = cache.load("image", key)
    assert back is not None
    assert torch.equal(back.features, _result().features) and torch.equal(back.mask, _result().mask)
    assert back.problems == _result().problems and back.info == _result().info
    assert cache.clear() == 1 and cache.load("image", key) is None


def test_cache_key_depends_on_config_content_and_order():
    k = EmbeddingCache.key("text", {"model": "m"}, ["a", "b"])
    assert k == EmbeddingCache.key("text", {"model": "m"}, ["a", "b"])
    assert k != EmbeddingCache.key("text", {"model": "m2"}, ["a", "b"])
    assert k != EmbeddingCache.key("text", {"model": "m"}, ["b", "a"])
    assert k != EmbeddingCache.key("image", {"model": "m"}, ["a", "b"])


def test_damaged_cache_entry_is_ignored_with_a_warning(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = cache.key("audio", {}, ["h"])
    cache.path("audio", key).parent.mkdir(parents=True)
    cache.path("audio", key).write_bytes(b"not a torch file")
    with pytest.warns(UserWarning, match="unreadable cache entry"):
        assert cache.load("audio", key) is None


def test_hashes_follow_content_not_names(tmp_path):
    a, b, c = tmp_path / "a.bin", tmp_path / "b.bin", tmp_path / "c.bin"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    c.write_bytes(b"other")
    assert hash_file(a) == hash_file(b) != hash_file(c)
    assert hash_file(None) != hash_file(tmp_path / "absent.bin")
    assert hash_text("x") != hash_text("y") and hash_text(None) == "none"


def test_default_cache_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MMREC_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("MMREC_CACHE_DIR")
    assert default_cache_dir().name == "mmrec_tutorial"


def test_polite_threads_leaves_busy_cores_alone(monkeypatch):
    from mmrec_tutorial.device import polite_threads

    current = torch.get_num_threads()
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    monkeypatch.setattr("os.getloadavg", lambda: (20.0, 20.0, 20.0))
    assert polite_threads() == 1
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0.0, 0.0))
    assert polite_threads() == min(current, 8)
    monkeypatch.setattr("os.getloadavg", lambda: (7.2, 0.0, 0.0))
    assert polite_threads() == 1
