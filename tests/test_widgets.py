"""Fusion-weight widgets: the pure functions behind the sliders, and the widget driven by its callbacks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mmrec_tutorial.data import TEST, TRAIN
from mmrec_tutorial.fusion import simplex_grid
from mmrec_tutorial.metrics import evaluate_full_ranking, evaluate_scores
from mmrec_tutorial.widgets.fusion import (FusionWeightsWidget, best_weights, fusion_view, late_fusion_lab, metric_surface,
                                    metrics_with_weights, plot_simplex, score_with_weights, simplex_xy, topk_metrics,
                                    weight_lab)

from test_fusion_model import N_ITEMS, N_USERS, build, synthetic


@pytest.fixture(scope="module")
def setup():
    feats, masks, split = synthetic()
    model = build("sum", feats, masks, item_id=True, fusion_kwargs={"weights": (0.5, 0.3, 0.2)}).eval()
    return model, split, weight_lab(model, split, TEST)


def test_lab_shapes(setup):
    model, split, lab = setup
    assert lab.scores.shape == (3, N_USERS, N_ITEMS) and lab.base.shape == (N_USERS, N_ITEMS)
    assert lab.item_mask.shape == (N_ITEMS, 3) and not lab.item_mask.all()
    assert torch.equal(lab.eval_users, split.sets(TEST).users_with_items())


def test_scores_at_the_trained_weights_are_the_models(setup):
    model, _, lab = setup
    with torch.no_grad():
        full = model.full_scores(torch.arange(N_USERS))
    torch.testing.assert_close(score_with_weights([0.5, 0.3, 0.2], lab), full, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(score_with_weights([5, 3, 2], lab), full, atol=1e-5, rtol=1e-5)  # normalised


def test_scores_renormalise_over_present_modalities(setup):
    _, _, lab = setup
    s = score_with_weights([0.0, 1.0, 1.0], lab, torch.tensor([0, 1]))
    # items 0-2 lack an image: with α = 0 only audio counts for them
    torch.testing.assert_close(s[:, 0], lab.scores[2, :2, 0] + lab.base[:2, 0])
    torch.testing.assert_close(s[:, 10], 0.5 * lab.scores[1, :2, 10] + 0.5 * lab.scores[2, :2, 10] + lab.base[:2, 10])


def test_topk_metrics_match_the_metrics_module():
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(50, 40, generator=gen)
    relevant = torch.rand(50, 40, generator=gen) < 0.15
    relevant[:, 0] = True
    exclude = (torch.rand(50, 40, generator=gen) < 0.2) & ~relevant
    ours, top = topk_metrics(scores, relevant, exclude, 10)
    ref, ref_top = evaluate_scores(scores, relevant, exclude, ks=(10,))
    torch.testing.assert_close(ours["recall@10"], ref["recall@10"])
    torch.testing.assert_close(ours["ndcg@10"], ref["ndcg@10"])
    assert torch.equal(top, ref_top[10])


def test_metrics_with_weights_match_full_ranking_evaluation(setup):
    model, split, lab = setup
    ref = evaluate_full_ranking(model.full_scores, split.sets(TEST), split.sets(TRAIN), ks=(20,)).mean()
    ours = metrics_with_weights([0.5, 0.3, 0.2], lab, k=20)
    assert ours["recall@20"] == pytest.approx(ref["recall@20"], abs=1e-6)
    assert ours["ndcg@20"] == pytest.approx(ref["ndcg@20"], abs=1e-6)


def test_fusion_view(setup):
    _, split, lab = setup
    user = int(lab.eval_users[0])
    view = fusion_view(lab, [2, 1, 1], user, k=5, metric_k=20)
    assert view.weights == (0.5, 0.25, 0.25)
    assert len(view.items) == 5 and view.scores == sorted(view.scores, reverse=True)
    train_items = set(split.sets(TRAIN).items_of(user).tolist())
    test_items = set(split.sets(TEST).items_of(user).tolist())
    assert not train_items & set(view.items)
    assert view.hits == [i in test_items for i in view.items]
    assert view.metrics == metrics_with_weights([2, 1, 1], lab, k=20)
    other = fusion_view(lab, [0, 0, 1], user, k=5)
    assert other.metrics != fusion_view(lab, [1, 0, 0], user, k=5).metrics


def test_metric_surface_and_best_weights(setup):
    _, _, lab = setup
    grid = simplex_grid(0.25)
    surface = metric_surface(lab, grid, k=10)
    assert surface.shape == (len(grid),)
    corner = int(np.flatnonzero((grid.numpy() == [1, 0, 0]).all(1))[0])
    assert float(surface[corner]) == pytest.approx(metrics_with_weights([1, 0, 0], lab, k=10)["ndcg@10"], abs=1e-6)
    per_user = metric_surface(lab, grid, k=10, per_user=True)
    assert per_user.shape == (len(grid), len(lab.eval_users))
    torch.testing.assert_close(per_user.mean(1), surface)
    best = best_weights(grid, surface, lab.modalities)
    assert best.loc["all users", "value"] == pytest.approx(float(surface.max()))
    groups = np.where(lab.eval_users.numpy() % 2 == 0, "even", "odd")
    by_group = best_weights(grid, per_user, lab.modalities, groups)
    assert list(by_group.index) == ["even", "odd"]
    np.testing.assert_allclose(by_group[list(lab.modalities)].sum(axis=1), 1.0)


def test_simplex_plot_helpers():
    np.testing.assert_allclose(simplex_xy(np.eye(3)), [[0.5, np.sqrt(3) / 2], [0, 0], [1, 0]])
    grid = simplex_grid(0.25)
    ax = plot_simplex(grid, grid[:, 0], marks={"best": (1, 0, 0)})
    assert ax.figure is not None
    import matplotlib.pyplot as plt
    plt.close(ax.figure)


def test_widget_callbacks_drive_the_view(setup):
    _, _, lab = setup
    grid = simplex_grid(0.25)
    widget = FusionWeightsWidget(lab, None, k=5, metric_k=20, surface=(grid, metric_surface(lab, grid, 20)))
    assert [s.description for s in widget.sliders] == ["α (text)", "β (image)", "γ (audio)"]
    assert "mmrec-topk" in widget.topk._dom_classes and "mmrec-metrics" in widget.metrics._dom_classes
    first = widget.view
    assert first.weights == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-6)
    widget.sliders[0].value, widget.sliders[1].value, widget.sliders[2].value = 1.0, 0.0, 0.0
    assert widget.view.weights == (1.0, 0.0, 0.0)
    assert widget.view.metrics == metrics_with_weights([1, 0, 0], lab, k=20)
    assert "1.00" in widget.metrics.value and "<svg" in widget.surface.value
    widget.k.value = 7
    assert len(widget.view.items) == 7 and widget.topk.value.count('class="mmrec-item') == 7
    user = int(lab.eval_users[3])
    widget.user.value = user
    assert widget.view.user == user and f"user {user}" in widget.topk.value
    for s in widget.sliders:
        s.value = 0.0
    assert widget.view.weights == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-6)  # all zero = equal


def test_late_fusion_lab_of_single_modality_models():
    feats, masks, split = synthetic()
    singles = {m: build("sum", {m: feats[m]}, {m: masks[m]}).eval() for m in feats}
    lab = late_fusion_lab(singles, split, TEST)
    assert lab.modalities == ("text", "image", "audio") and lab.scores.shape == (3, N_USERS, N_ITEMS)
    torch.testing.assert_close(lab.scores.mean(-1), torch.zeros(3, N_USERS), atol=1e-5, rtol=0)
    torch.testing.assert_close(lab.scores.std(-1), torch.ones(3, N_USERS))
    assert not lab.item_mask[:3, 1].any() and lab.item_mask[3:, 1].all()
    # one-hot weights rank exactly like that single model
    users = lab.eval_users
    ours, _ = topk_metrics(score_with_weights([1, 0, 0], lab, users), lab.relevant[users], lab.exclude[users], 10)
    ref = evaluate_full_ranking(singles["text"].full_scores, split.sets(TEST), split.sets(TRAIN), ks=(10,))
    torch.testing.assert_close(ours["ndcg@10"], ref.per_user["ndcg@10"])


def test_widget_set_moves_several_controls_in_one_update(setup):
    _, _, lab = setup
    widget = FusionWeightsWidget(lab, None, k=5)
    calls = []
    original = widget.update
    widget.update = lambda: calls.append(1) or original()
    user = int(lab.eval_users[2])
    view = widget.set(weights=[0.0, 0.5, 0.5], user=user, k=4)
    assert calls == [1]
    assert view.weights == (0.0, 0.5, 0.5) and view.user == user and len(view.items) == 4
