"""Rankers by name: every name builds, scores, and has a default config that TrainConfig accepts."""

from __future__ import annotations

import pytest
import torch

from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.data import random_split
from mmrec_tutorial.models.zoo import CONTENT_MODELS, MODEL_NAMES, build_model, default_config
from mmrec_tutorial.train import TrainConfig
from test_models import N_ITEMS, N_USERS, planted_content, planted_interactions

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: small models run fastest on one thread


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_name_builds_scores_and_has_a_config(name):
    feats, masks = planted_content()
    model = build_model(name, N_USERS, N_ITEMS, ItemFeatures.from_tensors(feats, masks))
    model.prepare(random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0))
    with torch.no_grad():
        assert model.eval().full_scores(torch.tensor([0, 1])).shape == (2, N_ITEMS)
    TrainConfig(**default_config(name))


@pytest.mark.parametrize("name", CONTENT_MODELS)
def test_content_models_need_features(name):
    with pytest.raises(ValueError, match="needs item content"):
        build_model(name, N_USERS, N_ITEMS)


def test_unknown_names_and_configs_are_copies():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("netflix-prize", 3, 4)
    cfg = default_config("bpr")
    cfg["lr"] = 123.0
    assert default_config("bpr")["lr"] != 123.0
