"""The δ slider's pure function and its thin ipywidgets shell."""

import numpy as np
import pytest
import torch

from mmrec_tutorial.data.splits import UserItemSets
from mmrec_tutorial.metrics import evaluate_full_ranking
from mmrec_tutorial.widgets.crossmodal import ScoreParts, delta_scores, delta_sweep, delta_view, delta_widget


def _parts():
    # 2 users x 5 items; s_z prefers low item ids, s_c high ones
    s_z = torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
    s_c = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    test = UserItemSets(np.array([0, 1]), np.array([4, 1]), 2, 5)
    exclude = UserItemSets(np.array([0, 1]), np.array([0, 0]), 2, 5)
    return ScoreParts(s_z, s_c, test, exclude, trained_delta=0.4)


def test_delta_scores_is_the_linear_mix():
    parts = _parts()
    assert torch.allclose(delta_scores(parts, 0.25), 0.25 * parts.s_z + 0.75 * parts.s_c)
    with pytest.raises(ValueError):
        delta_scores(parts, 1.5)


def test_delta_view_extremes():
    parts = _parts()
    only_z = delta_view(parts, 1.0, user=0, k=2, metric_k=1)
    assert only_z.top_items == [1, 2]  # item 0 is a training item: masked
    assert only_z.hits == [False, False] and only_z.share_c == [0.0, 0.0]
    assert only_z.metrics == {"recall@1": 0.5, "ndcg@1": 0.5}  # user 1 finds item 1 first, user 0 does not
    only_c = delta_view(parts, 0.0, user=0, k=2, metric_k=1)
    assert only_c.top_items == [4, 3] and only_c.hits == [True, False] and only_c.share_c == [1.0, 1.0]
    expected = evaluate_full_ranking(lambda u: parts.s_c[u], parts.test, parts.exclude, ks=(1,)).mean()
    assert only_c.metrics["recall@1"] == pytest.approx(expected["recall@1"])


def test_delta_sweep_rows():
    sweep = delta_sweep(_parts(), deltas=(0.0, 0.5, 1.0), k=1)
    assert list(sweep["delta"]) == [0.0, 0.5, 1.0]
    assert list(sweep.columns) == ["delta", "recall@1", "ndcg@1"]
    assert sweep["recall@1"].iloc[0] == 0.5 and sweep["recall@1"].iloc[2] == 0.5


def test_widget_is_a_thin_shell():
    parts = _parts()
    box = delta_widget(parts, users=[0, 1], titles=[f"t{i}" for i in range(5)], k=2, metric_k=1, step=0.1)
    slider, picker = box.children[0].children
    metrics, topk = box.children[1], box.children[2]
    assert slider.description == "δ" and slider.value == pytest.approx(0.4)
    assert "mmrec-metrics" in metrics._dom_classes and "mmrec-topk" in topk._dom_classes
    slider.value = 0.0
    assert "t4 ✔" in topk.value and "δ = 0.00" in metrics.value
    view = delta_view(parts, 0.0, 0, k=2, metric_k=1)
    assert f"recall@1 = {view.metrics['recall@1']:.4f}" in metrics.value
    picker.value = 1  # user 1's test item (1) is not in its top 2 at δ = 0
    assert "t4" in topk.value and "t3" in topk.value and topk.value.count("✔") == 1  # only the header
