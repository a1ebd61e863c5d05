"""Linear probes, centred cosine, content-kNN scores and their evaluation, embedding figures and
the gallery helpers of ``viz`` (PCA, title wrapping, thumbnails)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import torch

from mmrec_tutorial.data.splits import TEST, TRAIN, Split
from mmrec_tutorial.metrics import evaluate_full_ranking
from mmrec_tutorial.encoders.probes import (MIN_STD, centered_unit, evaluate_content_knn, knn_score_fn, knn_scores,
                                           linear_probe, nearest_neighbours, neighbour_agreement, probe_table,
                                           ridge_classifier, user_profiles)


def clustered(n_per: int = 20, n_classes: int = 4, d: int = 16, noise: float = 0.3, seed: int = 0):
    """Items around ``n_classes`` random centres: features ``(n, d)`` and labels ``(n,)``."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_classes, d, generator=gen) * 3
    labels = torch.arange(n_classes).repeat_interleave(n_per)
    return centres[labels] + noise * torch.randn(len(labels), d, generator=gen), labels


def test_ridge_classifier_matches_the_normal_equations_in_primal_and_dual_form():
    gen = torch.Generator().manual_seed(1)
    for n, d in [(30, 5), (10, 40)]:  # d <= n: primal; d > n: dual
        x, y = torch.randn(n, d, generator=gen), torch.randint(0, 3, (n,), generator=gen)
        y[:3] = torch.arange(3)  # every class present
        model = ridge_classifier(x, y, alpha=0.5)
        z = ((x.double() - x.double().mean(0)) / x.double().std(0, unbiased=False))
        onehot = torch.nn.functional.one_hot(y, 3).double()
        expected = torch.linalg.solve(z.T @ z + 0.5 * n * torch.eye(d, dtype=torch.float64), z.T @ (onehot - onehot.mean(0)))
        ridge = model.named_steps["ridge"]  # targets coded ±1: twice the 0/1 solution, intercept 2·mean - 1
        np.testing.assert_allclose(ridge.coef_.T, 2 * expected.numpy(), atol=1e-8)
        np.testing.assert_allclose(ridge.intercept_, 2 * onehot.mean(0).numpy() - 1, atol=1e-10)
        scores = z @ expected + onehot.mean(0)
        assert np.array_equal(model.predict(x.numpy()), scores.argmax(1).numpy())


def test_ridge_classifier_floors_the_std_of_nearly_constant_columns():
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randn(40, 4, generator=gen).double(), torch.arange(40) % 2
    x[:, 3] = 1.0 + 1e-12 * torch.randn(40, generator=gen, dtype=torch.float64)  # constant up to float noise
    scaler = ridge_classifier(x, y).named_steps["standardise"]
    assert scaler.scale_[3] == MIN_STD and np.allclose(scaler.scale_[:3], x[:, :3].std(0, unbiased=False).numpy())


def test_probe_reads_a_linear_trait_and_not_noise():
    x, y = clustered()
    labels = [f"c{int(v)}" for v in y]
    good = linear_probe(x, labels, folds=5)
    assert good.accuracy == 1.0 and good.n == 80 and good.n_classes == 4 and good.chance == 0.25
    noise = torch.randn(80, 16, generator=torch.Generator().manual_seed(2))
    assert linear_probe(noise, labels, folds=5).accuracy < 0.5


def test_probe_skips_masked_rows_and_is_deterministic():
    x, y = clustered()
    mask = torch.ones(80, dtype=torch.bool)
    mask[::8] = False
    x = x.clone()
    x[~mask] = 1e6  # garbage in the masked rows must not matter
    a = linear_probe(x, y.tolist(), mask, seed=3)
    b = linear_probe(x, y.tolist(), mask, seed=3)
    assert a.n == 70 and a.accuracy == 1.0 and a.fold_accuracy == b.fold_accuracy


def test_probe_restores_the_thread_count_and_rejects_tiny_classes():
    x, y = clustered(n_per=3)
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="at least 5 items"):
        linear_probe(x, y.tolist(), folds=5)
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="one label per row"):
        linear_probe(x, y.tolist()[:-1], folds=2)


def test_probe_table_has_one_row_per_embedding_and_one_column_per_trait():
    x, y = clustered()
    noise = torch.randn(80, 8, generator=torch.Generator().manual_seed(4))
    traits = pd.DataFrame({"trait": y.numpy(), "other": (torch.arange(80) % 4).numpy()})
    table = probe_table({"signal": x, "noise": noise}, traits, folds=4, with_std=True)
    assert list(table.index) == ["signal", "noise"]
    assert list(table.columns) == ["trait", "trait ±", "other", "other ±", "items"]
    assert table.at["signal", "trait"] == 1.0 and table.at["noise", "trait"] < 0.6
    assert table["items"].tolist() == [80, 80]


def test_centered_unit_rows_are_unit_or_zero():
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(5))
    mask = torch.tensor([True, True, False, True, True, True])
    x[2] = x[mask].mean(0)  # a mean-filled missing row
    unit = centered_unit(x, mask)
    assert torch.allclose(unit[mask].norm(dim=1), torch.ones(5), atol=1e-5)
    assert torch.equal(unit[2], torch.zeros(4))
    assert torch.equal(centered_unit(x)[2], torch.zeros(4))  # without the mask: no direction -> 0 too


def brute_force_knn(x: torch.Tensor, mask: torch.Tensor, history: dict[int, list[int]], user: int) -> torch.Tensor:
    """Mean cosine between every item and the user's present history items, one pair at a time."""
    centred = x - x[mask].mean(0)
    scores = torch.zeros(x.shape[0])
    hist = [i for i in history[user] if mask[i]]
    for v in range(x.shape[0]):
        if not mask[v] or not hist:
            continue
        scores[v] = sum(float(torch.nn.functional.cosine_similarity(centred[v], centred[i], dim=0)) for i in hist) / len(hist)
    return scores


def tiny_split(n_users: int = 4, n_items: int = 10) -> Split:
    rows = [(0, 0, TRAIN), (0, 1, TRAIN), (0, 2, TEST), (1, 3, TRAIN), (1, 4, TEST), (2, 5, TRAIN), (2, 6, TRAIN),
            (2, 7, TEST), (3, 9, TRAIN)]
    frame = pd.DataFrame(rows, columns=["user_idx", "item_idx", "x_label"])
    return Split("tiny", frame, n_users, n_items)


def test_knn_scores_equal_the_mean_cosine_over_the_history():
    x = torch.randn(10, 5, generator=torch.Generator().manual_seed(6))
    mask = torch.ones(10, dtype=torch.bool)
    mask[1] = mask[8] = False  # user 0's history item 1 has no vector; item 8 is never a candidate
    split = tiny_split()
    history = split.sets(TRAIN)
    users = torch.arange(4)
    scores = knn_scores(centered_unit(x, mask), history, users, mask)
    as_lists = {u: history.items_of(u).tolist() for u in range(4)}
    for u in range(4):
        assert torch.allclose(scores[u], brute_force_knn(x, mask, as_lists, u), atol=1e-5)
    assert torch.equal(scores[:, 8], torch.zeros(4))
    profiles = user_profiles(centered_unit(x, mask), history, users, mask)
    assert torch.allclose(profiles[0], centered_unit(x, mask)[0])  # only item 0 of {0, 1} is present


def test_multi_modality_score_is_the_mean_of_the_single_ones():
    gen = torch.Generator().manual_seed(7)
    feats = {"a": torch.randn(10, 5, generator=gen), "b": torch.randn(10, 3, generator=gen)}
    history, users = tiny_split().sets(TRAIN), torch.arange(4)
    both = knn_score_fn(feats, None, history)(users)
    single = [knn_score_fn({m: f}, None, history)(users) for m, f in feats.items()]
    assert torch.allclose(both, (single[0] + single[1]) / 2)


def test_evaluate_content_knn_follows_the_protocol():
    # items 2k and 2k+1 share a cluster; each user's test item is the partner of a training item
    centres = torch.eye(5) * 5
    x = centres[torch.arange(10) // 2] + 0.01 * torch.randn(10, 5, generator=torch.Generator().manual_seed(8))
    rows = [(u, 2 * u, TRAIN) for u in range(5)] + [(u, 2 * u + 1, TEST) for u in range(5)]
    split = Split("pairs", pd.DataFrame(rows, columns=["user_idx", "item_idx", "x_label"]), 5, 10)
    out = evaluate_content_knn({"m": x}, None, split, {"m": ["m"]}, ks=(1, 5))
    means = out["m"].mean()
    assert means["recall@1"] == 1.0 and means["ndcg@5"] == 1.0  # the training item itself is masked
    manual = evaluate_full_ranking(knn_score_fn({"m": x}, None, split.sets(TRAIN)), split.sets(TEST),
                                   split.sets(TRAIN), (1, 5))
    assert torch.equal(manual.per_user["ndcg@5"], out["m"].per_user["ndcg@5"])


def test_nearest_neighbours_and_agreement():
    x, y = clustered(n_per=10, n_classes=3, noise=0.1)
    mask = torch.ones(30, dtype=torch.bool)
    mask[1] = False
    nn_ = nearest_neighbours(x, 0, k=5, mask=mask)
    assert len(nn_) == 5 and 0 not in nn_ and 1 not in nn_ and all(int(y[i]) == int(y[0]) for i in nn_)
    assert neighbour_agreement(x, y.tolist(), k=5, mask=mask) == 1.0
    shuffled = y[torch.randperm(30, generator=torch.Generator().manual_seed(9))]
    assert neighbour_agreement(x, shuffled.tolist(), k=5) < 0.7


def test_embedding_figures():
    from mmrec_tutorial.viz import embeddings as vize

    x, y = clustered(n_per=10, n_classes=3)
    mask = torch.ones(30, dtype=torch.bool)
    mask[0] = False
    xy = vize.project_2d(x, mask)
    assert xy.shape == (29, 2) and np.allclose(xy, vize.project_2d(x, mask))
    wide = torch.cat([x, x @ torch.randn(16, 40, generator=torch.Generator().manual_seed(1))], dim=1)
    assert vize.project_2d(wide).shape == (30, 2)  # more columns than rows: the Gram-matrix path
    # PCA scores: variance of the first component is the largest eigenvalue of the covariance
    z = (x - x.mean(0)) / x.std(0, unbiased=False)
    top = torch.linalg.eigvalsh(z.double().T @ z.double())[-1]
    assert np.isclose((vize.project_2d(x)[:, 0] ** 2).sum(), float(top), rtol=1e-6)
    traits = pd.DataFrame({"t": [f"c{int(v)}" for v in y]})
    fig = vize.plot_projections({"x": x}, traits, {"x": mask})
    assert len(fig.axes) == 1
    table = pd.DataFrame({"t": [0.9, 0.2]}, index=["x", "noise"])
    assert vize.plot_probe_table(table, chance=1 / 3) is not None
    fig = vize.plot_encoder_pipelines({"a": [("in", "3"), ("out", "2")]})
    assert fig is not None
    tsne = vize.project_2d(x, method="tsne", seed=0)
    assert tsne.shape == (30, 2) and np.allclose(tsne, vize.project_2d(x, method="tsne", seed=0))
    with pytest.raises(ValueError):
        vize.project_2d(x, method="umap")
    matplotlib.pyplot.close("all")


def test_neighbour_gallery_and_log_mel_figures(sample):
    from mmrec_tutorial.viz import embeddings as vize
    from mmrec_tutorial.encoders import LogMelSpectrogram

    catalog, _ = sample
    n = catalog.n_items
    x, y = clustered(n_per=n // 3, n_classes=3)
    traits = pd.DataFrame({"t": [f"c{int(v)}" for v in y]})
    fig = vize.neighbour_gallery(catalog, {"x": x}, 0, traits, {"x": "t"}, k=3)
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles[0].startswith("[x] query") and all(t.endswith("c0") for t in titles)
    wave = torch.sin(2 * torch.pi * 440 * torch.arange(8000) / 8000)
    fig = vize.plot_log_mel(wave, LogMelSpectrogram())
    assert "40×51" in fig.axes[2].get_title()
    matplotlib.pyplot.close("all")


def test_principal_components_is_sklearn_pca_with_fixed_signs():
    from mmrec_tutorial.viz.embeddings import principal_components

    x, _ = clustered(n_per=10, n_classes=3)
    x = x.double().numpy()
    scores = principal_components(x, 2)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    assert np.allclose(np.abs(scores), np.abs(centred @ vt[:2].T)) and np.allclose(np.linalg.norm(scores, axis=0), s[:2])
    assert (scores[np.abs(scores).argmax(0), [0, 1]] > 0).all()  # the sign rule
    assert np.array_equal(principal_components(-x, 2), principal_components(-x, 2))
    assert np.allclose(principal_components(-x, 2), scores)  # a mirrored cloud gives the same picture
    assert principal_components(x[:4], 50).shape == (4, 4)  # at most min(n, d) components


def test_paired_embeddings_figure():
    from mmrec_tutorial.viz import crossmodal as plots

    x, y = clustered(n_per=6, n_classes=3)
    fig = plots.plot_paired_embeddings({"views": (x, x + 0.1)}, groups=[f"g{int(v)}" for v in y])
    assert len(fig.axes) == 1 and fig.axes[0].get_title().startswith("views")
    matplotlib.pyplot.close("all")


def test_wrap_title():
    from mmrec_tutorial.viz import wrap_title

    assert wrap_title("The Little Letters of the Lost Season") == "The Little Letters\nof the Lost Season"
    assert wrap_title("The Little Letters of the Lost Season", max_lines=1) == "The Little Letters"
    assert wrap_title("one two three four five six seven", 9, 3) == "one two\nthree\nfour five"
    assert wrap_title("Supercalifragilistic", 8, 1) == "Supercal"  # a word longer than a line is cut
    assert wrap_title(None) == wrap_title(float("nan")) == wrap_title("  ") == "(no title)"
    assert wrap_title("", empty="") == "" and wrap_title(12) == "12"


def test_thumbnail_from_a_catalog_or_a_folder(sample, tmp_path):
    from mmrec_tutorial.data.media import write_png
    from mmrec_tutorial.viz import thumbnail

    catalog, _ = sample
    first = int(np.flatnonzero(catalog.items["has_image"])[0])
    pixels = thumbnail(catalog, first)
    assert pixels.dtype == np.uint8 and pixels.shape == (64, 64, 3)
    assert np.array_equal(thumbnail(catalog.root, catalog.items.at[first, "image"]), pixels)
    assert np.array_equal(thumbnail(catalog, catalog.root / catalog.items.at[first, "image"]), pixels)
    assert thumbnail(catalog, first, size=32).shape == (32, 32, 3)
    assert thumbnail(catalog, first, size=100).shape == (64, 64, 3)  # never enlarged
    assert thumbnail(catalog, int(np.flatnonzero(~catalog.items["has_image"])[0])) is None
    assert thumbnail(None, first) is None and thumbnail(tmp_path, "absent.png") is None
    (tmp_path / "broken.png").write_bytes(b"not a png")
    assert thumbnail(tmp_path, "broken.png") is None
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., 0], rgba[:2, :, 3] = 200, 255  # top half opaque red, bottom half transparent
    write_png(tmp_path / "a.png", rgba)
    got = thumbnail(tmp_path, "a.png")
    assert got.shape == (4, 6, 3) and (got[:2] == [200, 0, 0]).all() and (got[2:] == 255).all()
    with pytest.raises(TypeError):
        thumbnail(tmp_path, 0)

