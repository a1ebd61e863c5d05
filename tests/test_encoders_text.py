"""Text encoder: offline MiniLM, masked mean pooling, empty texts, loud fallback, fine-tune hook."""

from __future__ import annotations

import pytest
import torch

from mmrec_tutorial.encoders import ModelUnavailableError, TextEncoder
from mmrec_tutorial.encoders.catalog import item_texts

TEXTS = [
    "A quiet jazz record with soft piano and brushed drums.",
    "Mellow jazz piano trio for late evenings.",
    "A thriller about a detective hunting a murderer in the city.",
    "Crime novel: the inspector follows the killer through dark streets.",
]


pytestmark = pytest.mark.usefixtures("one_thread")



@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder(device="cpu", batch_size=2)


def test_shapes_norms_and_mask(encoder):
    res = encoder.encode(TEXTS + ["", None, "   "], item_ids=list("abcdefg"), progress=False)
    assert res.features.shape == (7, 384) and res.features.dtype == torch.float32
    assert res.mask.tolist() == [True] * 4 + [False] * 3
    assert torch.allclose(res.features[:4].norm(dim=1), torch.ones(4), atol=1e-5)
    assert torch.equal(res.features[4:], torch.zeros(3, 384))
    assert [(p.item_id, p.kind, p.masked) for p in res.problems] == [("e", "empty", True), ("f", "empty", True),
                                                                       ("g", "empty", True)]
    assert res.info["dim"] == 384 and "MiniLM" in res.info["encoder"]


def test_similar_texts_are_closer(encoder):
    f = encoder.encode(TEXTS, progress=False).features
    sim = f @ f.T
    assert sim[0, 1] > sim[0, 2] + 0.2 and sim[2, 3] > sim[1, 3] + 0.2


def test_order_and_batching_do_not_change_vectors(encoder):
    a = encoder.encode(TEXTS, progress=False).features
    assert not encoder.training and torch.equal(a, encoder.encode(TEXTS, progress=False).features), \
        "encoding must be deterministic (dropout off)"
    b = encoder.encode(TEXTS[::-1], progress=False).features.flip(0)
    assert torch.allclose(a, b, atol=1e-5)
    single = TextEncoder(device="cpu", batch_size=1)
    assert torch.allclose(a, single.encode(TEXTS, progress=False).features, atol=1e-5), \
        "padding must not leak into the mean pooling"


def test_mean_pooling_ignores_padding(encoder):
    tok = encoder.tokenize(["short", "a considerably longer sentence with many more tokens in it"])
    with torch.no_grad():
        pooled = encoder.forward_tokens(**tok)
        alone = encoder.forward_tokens(**encoder.tokenize(["short"]))
    assert tok["attention_mask"][0].sum() < tok["attention_mask"][1].sum()
    assert torch.allclose(pooled[0], alone[0], atol=1e-5)


def test_unavailable_model_raises_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailableError) as err:
        TextEncoder("no-such-org/no-such-model-xyz", device="cpu")
    msg = str(err.value)
    assert "offline" in msg and "fallback=True" in msg and "allow_download=True" in msg
    (tmp_path / "empty_model").mkdir()
    with pytest.raises(ModelUnavailableError, match="local folder"):
        TextEncoder(str(tmp_path / "empty_model"), device="cpu")


def test_fallback_warns_loudly_and_uses_the_default(capsys):
    with pytest.warns(RuntimeWarning, match="Falling back"):
        enc = TextEncoder("bert-base-uncased-not-cached-here", device="cpu", fallback=True)
    assert "Falling back" in capsys.readouterr().out
    assert enc.fell_back and enc.dim == 384 and "MiniLM" in enc.config()["model"]
    assert enc.encode(["hello"], progress=False).info["fell_back"] is True


def test_describe_matches_config(encoder):
    assert TextEncoder.describe(None) == encoder.config()
    assert TextEncoder.describe(None, normalize=False) != encoder.config()


def test_unfreeze_top_layers_trains_only_those(encoder):
    enc = TextEncoder(device="cpu")
    params = enc.unfreeze_top_layers(1)
    top_ids = {id(p) for p in enc.model.encoder.layer[-1].parameters()}
    assert params and {id(p) for p in params} == top_ids
    assert sum(p.requires_grad for p in enc.parameters()) == len(params)
    enc.train()
    loss = enc(TEXTS[:2]).sum()
    loss.backward()
    assert all(p.grad is not None for p in params)
    assert all(p.grad is None for p in enc.model.encoder.layer[0].parameters())
    assert enc.unfreeze_top_layers(0) == []
    with pytest.raises(ValueError):
        enc.unfreeze_top_layers(99)


def test_item_texts_joins_title_and_description():
    import pandas as pd

    items = pd.DataFrame({"title": ["Title", "", None, "Ends."], "description": ["Body", "Only body", None, "x"]})
    assert item_texts(items) == ["Title. Body", "Only body", None, "Ends. x"]
