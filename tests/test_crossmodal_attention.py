"""Bidirectional cross-attention, the δ-mix, and the cross-modal ranker on tiny synthetic data."""

import numpy as np
import pandas as pd
import pytest
import torch

from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.crossmodal import BidirectionalCrossAttention, DeltaMix, delta_mix, masked_softmax
from mmrec_tutorial.data.splits import random_split
from mmrec_tutorial.models.content import ItemContent
from mmrec_tutorial.models.crossmodal_ranker import CrossModalRanker


def _inputs(b=3, L=5, M=3, d=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    hist = torch.randn(b, L, d, generator=gen)
    hmask = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1]], dtype=torch.bool)[:b, :L]
    toks = torch.randn(b, M, d, generator=gen)
    tmask = torch.tensor([[1, 1, 1], [1, 0, 1], [0, 1, 0]], dtype=torch.bool)[:b, :M]
    return hist, hmask, toks, tmask


def test_masked_softmax_zeroes_masked_and_empty_slices():
    x = torch.tensor([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    mask = torch.tensor([[True, False, True], [False, False, False]])
    out = masked_softmax(x, mask, dim=-1)
    e1, e3 = np.exp(1.0), np.exp(3.0)
    assert out[0].tolist() == pytest.approx([e1 / (e1 + e3), 0.0, e3 / (e1 + e3)])
    assert out[1].tolist() == [0.0, 0.0, 0.0] and not torch.isnan(out).any()


def test_shapes_and_weight_sums():
    torch.manual_seed(0)
    attn = BidirectionalCrossAttention(8)
    hist, hmask, toks, tmask = _inputs()
    out = attn(hist, hmask, toks, tmask)
    assert out.c.shape == (3, 8)
    assert out.user_to_item.shape == out.item_to_user.shape == (3, 5, 3)
    assert out.modality_weights.shape == (3, 3) and out.history_weights.shape == (3, 5)
    # each real history row distributes 1 over the present modalities; each present modality 1 over the history
    rows = out.user_to_item.sum(-1)
    assert torch.allclose(rows, hmask.float(), atol=1e-6)
    cols = out.item_to_user.sum(1)
    assert torch.allclose(cols, tmask.float(), atol=1e-6)
    assert torch.allclose(out.modality_weights.sum(-1), torch.ones(3), atol=1e-6)
    assert torch.allclose(out.history_weights.sum(-1), torch.ones(3), atol=1e-6)


def test_padding_and_missing_modalities_are_never_attended():
    torch.manual_seed(0)
    attn = BidirectionalCrossAttention(8)
    hist, hmask, toks, tmask = _inputs()
    out = attn(hist, hmask, toks, tmask)
    assert (out.user_to_item[~hmask] == 0).all() and (out.item_to_user[~hmask] == 0).all()
    assert (out.user_to_item.transpose(1, 2)[~tmask] == 0).all()
    assert (out.history_weights[~hmask] == 0).all() and (out.modality_weights[~tmask] == 0).all()
    # whatever sits in padded history slots or missing modality slots changes nothing
    hist2 = torch.where(hmask[..., None], hist, 1e3 * torch.randn_like(hist))
    toks2 = torch.where(tmask[..., None], toks, -1e3 * torch.randn_like(toks))
    out2 = attn(hist2, hmask, toks2, tmask)
    assert torch.allclose(out.c, out2.c, atol=1e-5)


def test_empty_history_gives_finite_output():
    attn = BidirectionalCrossAttention(4)
    out = attn(torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.bool), torch.randn(2, 2, 4),
               torch.ones(2, 2, dtype=torch.bool))
    assert torch.isfinite(out.c).all() and out.history_weights.abs().sum() == 0


def test_score_all_and_context_all_match_pairwise_forward():
    torch.manual_seed(1)
    d, n, b = 8, 6, 3
    attn = BidirectionalCrossAttention(d)
    hist, hmask, _, _ = _inputs(b=b, d=d)
    gen = torch.Generator().manual_seed(2)
    toks = torch.randn(n, 3, d, generator=gen)
    tmask = torch.rand(n, 3, generator=gen) > 0.3
    tmask[0] = False  # an item with no modality at all
    hmask = hmask.clone()
    hmask[2] = False  # a user with no history
    targets = torch.randn(n, d, generator=gen)
    fast = attn.score_all(hist, hmask, toks, tmask, targets)
    assert fast.shape == (b, n)
    for u in range(b):
        out = attn(hist[u].expand(n, -1, -1), hmask[u].expand(n, -1), toks, tmask)
        assert torch.allclose(fast[u], (out.c * targets).sum(-1), atol=1e-5)
    assert torch.isfinite(fast).all()
    # every c_uv itself (for rankers that are not an inner product with it)
    keys, values = attn.project_history(hist)
    c_all = attn.context_all_kv(keys, values, hmask, toks, tmask)
    assert c_all.shape == (b, n, d)
    for u in range(b):
        assert torch.allclose(c_all[u], attn(hist[u].expand(n, -1, -1), hmask[u].expand(n, -1), toks, tmask).c, atol=1e-5)
    assert torch.allclose((c_all * targets).sum(-1), fast, atol=1e-5)


def test_delta_mix_fixed_learned_and_bounds():
    z, c = torch.ones(2, 3), torch.zeros(2, 3)
    assert torch.equal(delta_mix(z, c, 0.25), torch.full((2, 3), 0.25))
    mix = DeltaMix(0.3, learnable=True)
    assert mix.value.item() == pytest.approx(0.3, abs=1e-6) and mix.logit.requires_grad
    with torch.no_grad():
        mix.logit.fill_(100.0)
    assert 0.0 < mix.value.item() <= 1.0
    mix.set(0.0)
    assert mix.value.item() == 0.0 and not mix.logit.requires_grad
    assert torch.equal(mix(z, c), c)
    with pytest.raises(ValueError):
        DeltaMix(1.5)


def _tiny_split(n_users=30, n_items=24, seed=0):
    rng = np.random.default_rng(seed)
    rows = [(u, i, 1, 1000 * u + k) for u in range(n_users)
            for k, i in enumerate(rng.choice(n_items, size=8, replace=False))]
    frame = pd.DataFrame(rows, columns=["user_idx", "item_idx", "rating", "timestamp"])
    return random_split(frame, n_users, n_items, seed=seed)


def _tiny_content(n_items=24, seed=0):
    gen = torch.Generator().manual_seed(seed)
    feats = {"text": torch.randn(n_items, 10, generator=gen), "image": torch.randn(n_items, 12, generator=gen),
             "audio": torch.randn(n_items, 6, generator=gen)}
    masks = {m: torch.ones(n_items, dtype=torch.bool) for m in feats}
    masks["image"][:4] = False
    return ItemContent(ItemFeatures.from_tensors(feats, masks), dim=8)


@pytest.mark.parametrize("cross", [True, False])
def test_ranker_full_scores_match_pairwise_scores(cross):
    torch.manual_seed(0)
    split = _tiny_split()
    model = CrossModalRanker(30, 24, _tiny_content(), cross=cross, max_len=6, align_weight=0.1)
    model.prepare(split)
    users = torch.tensor([0, 5, 7])
    full = model.full_scores(users)
    assert full.shape == (3, 24)
    items = torch.tensor([3, 0, 23])
    assert torch.allclose(model.score(users, items), full[torch.arange(3), items], atol=1e-5)
    s_z, s_c = model.score_parts(users)
    delta = model.delta.value
    assert torch.allclose(full, delta * s_z + (1 - delta) * s_c if cross else s_z, atol=1e-5)
    assert model.delta.value.item() == (0.5 if cross else 1.0)


@pytest.mark.parametrize("head", ["deepmf", "transformer"])
@pytest.mark.parametrize("cross", [True, False])
def test_ranker_heads_score_the_delta_mix_in_chunks_and_train(head, cross, monkeypatch):
    from mmrec_tutorial.models import crossmodal_ranker

    torch.manual_seed(0)
    split = _tiny_split()
    model = CrossModalRanker(30, 24, _tiny_content(), cross=cross, max_len=6, head=head)
    model.prepare(split)
    model.eval()
    users, items = torch.tensor([0, 5, 7]), torch.tensor([3, 0, 23])
    full = model.full_scores(users)
    monkeypatch.setattr(crossmodal_ranker, "HEAD_PAIRS", 24)  # one user per chunk: same numbers
    assert torch.allclose(model.full_scores(users), full, atol=1e-5)
    assert torch.allclose(model.score(users, items), full[torch.arange(3), items], atol=1e-5)
    # the head reads z_u' = δ z_u + (1 − δ) c_uv: its score for a pair is head(z_u', z_v)
    t = model._items()
    z_u = model.user_vectors(users)
    if cross:
        idx, hmask = model._history(users)
        keys, values = model.attention.project_history(t.z)
        z_u = model.delta(z_u, model.attention.forward_kv(keys[idx], values[idx], hmask, t.tokens[items],
                                                          t.mask[items]).c)
    assert torch.allclose(model.head(z_u, t.z[items]), full[torch.arange(3), items], atol=1e-5)
    with pytest.raises(ValueError, match="inner product"):
        model.score_parts(users)
    model.train()
    loss = model.loss(users, items, torch.tensor([5, 6, 7]), reg=1e-4)
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.head.parameters() if p.requires_grad)


def test_unknown_head_is_refused():
    with pytest.raises(ValueError, match="head must be one of"):
        CrossModalRanker(30, 24, _tiny_content(), head="cnn")


def test_ranker_tokens_agree_with_the_content_tower():
    model = CrossModalRanker(30, 24, _tiny_content(), max_len=6)
    model.eval()
    feats, masks = model.item_tokens()
    assert torch.allclose(model.content.fusion(feats, masks), model.content())
    assert torch.equal(masks["image"], model.content.mask("image"))


def test_ranker_id_dropout_only_in_training_and_only_for_seen_items():
    torch.manual_seed(0)
    split = _tiny_split()
    model = CrossModalRanker(30, 24, _tiny_content(), max_len=6, id_dropout=1.0)
    model.prepare(split)
    model.seen[:] = True
    model.seen[5] = False
    content = model._items()[0]
    items = torch.tensor([3, 5])
    model.train()
    assert torch.allclose(model._candidates(items, content), content[items])  # every ID part dropped
    model.eval()
    expected = content[items] + model.item_emb(items) * torch.tensor([[1.0], [0.0]])
    assert torch.allclose(model._candidates(items, content), expected)


def test_ranker_hides_the_positive_from_its_own_history_and_trains():
    torch.manual_seed(0)
    split = _tiny_split()
    model = CrossModalRanker(30, 24, _tiny_content(), max_len=6, align_weight=0.5)
    model.prepare(split)
    assert model.history.shape == (30, 6) and (model.history[model.history > 0] <= 24).all()
    user = 0
    pos = int(model.history[user, -1]) - 1
    _, hidden = model._history(torch.tensor([user]), hide=torch.tensor([pos]))
    idx, shown = model._history(torch.tensor([user]))
    assert shown[0, -1] and not hidden[0, -1] and idx[0, -1] == pos
    model.train()
    users, pos_items = torch.tensor([0, 1, 2]), torch.tensor([pos, 0, 1])
    loss = model.loss(users, pos_items, torch.tensor([5, 6, 7]), reg=1e-4)
    loss.backward()
    assert torch.isfinite(loss) and set(model.last_align) == {"text-image", "text-audio", "image-audio", "content-id"}
    assert model.attention.w_hist.weight.grad is not None and model.delta.logit.grad is not None
    assert model.scales["text-image"].log_scale.grad is not None


def test_ranker_borrow_fills_missing_tokens_and_explain_maps():
    torch.manual_seed(0)
    split = _tiny_split()
    model = CrossModalRanker(30, 24, _tiny_content(), max_len=6, borrow=True)
    model.prepare(split)
    feats, masks = model.item_tokens()
    assert masks["image"].all()
    assert torch.allclose(feats["image"][0], (feats["text"][0] + feats["audio"][0]) / 2)
    out, hist_items = model.explain(torch.tensor([3, 4]), torch.tensor([0, 1]))
    assert out.user_to_item.shape == (2, 6, 3) and hist_items.shape == (2, 6)
    assert torch.equal(hist_items >= 0, out.user_to_item.sum(-1) > 0)
    expected = model.history[3][model.history[3] > 0] - 1
    assert torch.equal(hist_items[0][hist_items[0] >= 0], expected)


def test_borrow_by_retrieval_averages_the_nearest_available_items():
    from mmrec_tutorial.crossmodal import borrow_by_retrieval

    gallery = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [1.0, 0.05]])
    targets = torch.tensor([[10.0], [20.0], [30.0], [40.0]])
    available = torch.tensor([True, True, True, False])  # item 3 is the one missing its modality
    rows, top = borrow_by_retrieval(torch.tensor([[1.0, 0.02]]), gallery, targets, available, k=2)
    assert top.tolist() == [[0, 1]] and rows.tolist() == [[15.0]]


def _tiny_ranker():
    """The tiny split, an (untrained, eval-mode) cross-modal ranker prepared on it, and its scores."""
    torch.manual_seed(0)
    split = _tiny_split()
    model = CrossModalRanker(30, 24, _tiny_content(), max_len=6)
    model.prepare(split)
    model.eval()
    return split, model, model.full_scores(torch.arange(30))


def test_replaced_modality_is_temporary_and_evaluate_on_items():
    from mmrec_tutorial.crossmodal import evaluate_on_items

    split, model, before = _tiny_ranker()
    hide = torch.tensor([10, 11])
    with model.content.replaced_modality("image", hide):
        assert not model.content.mask("image")[hide].any()
        changed = model.full_scores(torch.arange(30))
    assert model.content.mask("image")[hide].all()
    assert not torch.allclose(changed[:, 10], before[:, 10])
    assert torch.allclose(model.full_scores(torch.arange(30)), before)
    stand_in = model.content.feature("image")[[0, 1]].clone()
    model.content.mask("image")[0] = False
    with model.content.replaced_modality("image", torch.tensor([5, 0]), stand_in):
        assert torch.equal(model.content.feature("image")[5], stand_in[0]) and model.content.mask("image")[0]
    assert not model.content.mask("image")[0] and not torch.equal(model.content.feature("image")[5], stand_in[0])
    assert torch.allclose(model.full_scores(torch.arange(30)), before)
    items = np.array([3, 4, 5])
    result = evaluate_on_items(model.full_scores, split, items, ks=(5,))
    test = split.test
    expected_users = np.unique(test[test["item_idx"].isin(items)]["user_idx"])
    assert result.users.tolist() == expected_users.tolist()


def test_missing_modality_table_replaces_and_restores():
    """Every way gets a row; 'present' is the plain evaluation, the stand-ins are the features
    the model would see, and the model scores as before afterwards."""
    from mmrec_tutorial.evaluation import evaluate_trained, missing_modality_table, stand_ins

    split, model, before = _tiny_ranker()
    hide = torch.tensor([10, 11, 12])
    available = model.content.mask("image").clone()
    available[hide] = False
    gen = torch.Generator().manual_seed(1)
    space = {"text": torch.randn(24, 4, generator=gen), "image": torch.randn(24, 4, generator=gen)}
    ways = stand_ins(model.content, "image", hide, available, {"random": space}, k=2)
    assert list(ways) == ["present", "masked", "mean fill", "borrowed via random"]
    feat = model.content.feature("image")
    assert torch.allclose(ways["mean fill"][0], feat[available].mean(0))
    assert ways["borrowed via random"].shape == (3, feat.shape[1])
    table = missing_modality_table({"ranker": model}, split, "image", hide, available, {"random": space}, k=2)
    assert list(table["cover"]) == list(ways)
    present = table.set_index("cover").loc["present", "recall@20"]
    assert present == pytest.approx(evaluate_trained(model, split).mean()["recall@20"])
    assert torch.allclose(model.full_scores(torch.arange(30)), before)
