"""Content-kNN as a ranker: the same scores as the probes' kNN evaluation, and a late-fusion lab over it."""

from __future__ import annotations

import pytest

from mmrec_tutorial.data import TEST, random_split
from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.encoders.probes import evaluate_content_knn
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.models.zoo import build_model
from mmrec_tutorial.train import TrainConfig, fit
from mmrec_tutorial.widgets.fusion import late_fusion_lab, metrics_with_weights
from test_models import N_ITEMS, N_USERS, planted_content, planted_interactions


def test_content_knn_matches_the_probe_evaluation_and_feeds_late_fusion():
    feats, masks = planted_content()
    content = ItemFeatures.from_tensors(feats, masks)
    split = random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)
    models = {}
    for m in content.modalities:
        models[m] = fit(build_model("knn", N_USERS, N_ITEMS, content.select([m])), split,
                        TrainConfig(progress=False)).model
        ours = evaluate_trained(models[m], split).mean()
        probe = evaluate_content_knn(feats, masks, split, {m: [m]})[m].mean()
        assert ours["recall@20"] == probe["recall@20"] and ours["ndcg@20"] == probe["ndcg@20"]
    lab = late_fusion_lab(models, split, TEST)
    assert lab.modalities == tuple(content.modalities)
    only_first = [1.0] + [0.0] * (len(models) - 1)
    first = content.modalities[0]
    assert metrics_with_weights(only_first, lab, 20)["recall@20"] == pytest.approx(
        evaluate_trained(models[first], split).mean()["recall@20"])
