"""Fusion modules: shapes, weights on the simplex, masking of absent modalities, dropout."""

from __future__ import annotations

import pytest
import torch

from mmrec_tutorial.fusion import (FUSION_KINDS, MODALITIES, AttentionFusion, ConcatFusion, GatedFusion, LateFusion,
                                   WeightedSumFusion, make_fusion, masked_softmax, modality_dropout, normalize_weights,
                                   renormalize, simplex_grid, stack_masks)

D, B = 8, 5


def feats(b: int = B, d: int = D, seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {m: torch.randn(b, d, generator=gen) for m in MODALITIES}


def build(kind: str) -> torch.nn.Module:
    kwargs = {"query_dim": 4} if kind == "attention" else {}
    torch.manual_seed(0)
    return make_fusion(kind, MODALITIES, D, **kwargs).eval()


def call(module, features, mask=None, query=None):
    if isinstance(module, AttentionFusion) and module.query_dim and query is None:
        query = torch.randn(next(iter(features.values())).shape[:-1] + (module.query_dim,),
                            generator=torch.Generator().manual_seed(1))
    return module(features, mask, query=query, return_weights=True)


@pytest.mark.parametrize("kind", FUSION_KINDS)
def test_shapes_and_weights_on_simplex(kind):
    module = build(kind)
    z, w = call(module, feats())
    assert z.shape == (B, D)
    assert torch.isfinite(z).all()
    if kind == "concat":
        assert w is None
    else:
        assert w.shape == (B, 3)
        assert (w >= 0).all()
        torch.testing.assert_close(w.sum(-1), torch.ones(B))


@pytest.mark.parametrize("kind", FUSION_KINDS)
def test_absent_modality_is_ignored(kind):
    """Changing the vector of a masked modality must not change the output, and its weight is 0."""
    module = build(kind)
    mask = torch.tensor([[True, False, True]] * B)
    a, b = feats(seed=0), feats(seed=0)
    b["image"] = torch.randn(B, D) * 100
    q = torch.randn(B, 4)
    za, wa = call(module, a, mask, q)
    zb, wb = call(module, b, mask, q)
    torch.testing.assert_close(za, zb)
    if wa is not None:
        assert (wa[:, 1] == 0).all()
        torch.testing.assert_close(wa.sum(-1), torch.ones(B))


def test_fixed_weighted_sum_is_the_formula_and_renormalises():
    module = WeightedSumFusion(MODALITIES, D, weights=(2.0, 1.0, 1.0))
    f = feats()
    z = module(f)
    torch.testing.assert_close(z, 0.5 * f["text"] + 0.25 * f["image"] + 0.25 * f["audio"])
    torch.testing.assert_close(module.global_weights(), torch.tensor([0.5, 0.25, 0.25]))
    # without audio: (0.5, 0.25) renormalised to (2/3, 1/3)
    z, w = module(f, {"text": torch.ones(B, dtype=torch.bool), "image": torch.ones(B, dtype=torch.bool),
                      "audio": torch.zeros(B, dtype=torch.bool)}, return_weights=True)
    torch.testing.assert_close(w[0], torch.tensor([2 / 3, 1 / 3, 0.0]))
    torch.testing.assert_close(z, (2 * f["text"] + f["image"]) / 3)


def test_no_modality_present_gives_zeros_not_nan():
    mask = torch.zeros(B, 3, dtype=torch.bool)
    for kind in ("sum", "learned_sum", "attention", "gated", "late"):
        z, w = call(build(kind), feats(), mask)
        assert torch.isfinite(z).all() and (w == 0).all(), kind
        assert (z == 0).all(), kind


def test_learnable_weights_train():
    module = WeightedSumFusion(MODALITIES, D, learnable=True)
    torch.testing.assert_close(module.global_weights(), torch.full((3,), 1 / 3))
    opt = torch.optim.SGD(module.parameters(), lr=1.0)
    f = feats()
    for _ in range(50):
        loss = ((module(f) - f["audio"]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    w = module.global_weights()
    assert w[2] > 0.8 and torch.isclose(w.sum(), torch.tensor(1.0))


def test_set_weights_normalises():
    for learnable in (False, True):
        module = WeightedSumFusion(MODALITIES, D, learnable=learnable)
        module.set_weights([0, 3, 1])
        torch.testing.assert_close(module.global_weights(), torch.tensor([0.0, 0.75, 0.25]), atol=1e-5, rtol=0)


def test_attention_weights_depend_on_the_query():
    torch.manual_seed(0)
    module = AttentionFusion(MODALITIES, D, query_dim=4, item_aware=False).eval()
    f = feats()
    q = torch.randn(B, 4) * 5
    w = module.weights(f, None, q)
    assert w.shape == (B, 3)
    assert not torch.allclose(w[0], w[1])
    # item_aware=False: the weights ignore the item features
    torch.testing.assert_close(module.weights(feats(seed=3), None, q), w)
    with pytest.raises(ValueError, match="query"):
        module(f)


def test_attention_broadcasts_users_against_all_items():
    """(1, n, d) items against (b, 1, d_q) users equals the loop over pairs."""
    torch.manual_seed(0)
    module = AttentionFusion(MODALITIES, D, query_dim=4).eval()
    n, b = 6, 3
    items = feats(n)
    mask = torch.rand(n, 3, generator=torch.Generator().manual_seed(2)) > 0.3
    users = torch.randn(b, 4)
    z, w = module({m: x[None] for m, x in items.items()}, mask[None], users[:, None], return_weights=True)
    assert z.shape == (b, n, D) and w.shape == (b, n, 3)
    for u in range(b):
        zu, wu = module(items, mask, users[u].expand(n, 4), return_weights=True)
        torch.testing.assert_close(z[u], zu)
        torch.testing.assert_close(w[u], wu)


def test_attention_without_query_uses_item_inputs():
    torch.manual_seed(0)
    module = AttentionFusion(MODALITIES, D).eval()
    w = module.weights(feats())
    assert w.shape == (B, 3) and not torch.allclose(w[0], w[1])


def test_gated_and_concat_are_trainable_and_use_all_inputs():
    for module in (GatedFusion(MODALITIES, D), ConcatFusion(MODALITIES, D, dropout=0.0)):
        f = {m: x.requires_grad_() for m, x in feats().items()}
        module(f).sum().backward()
        assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in f.values())
        assert all(p.grad is not None for p in module.parameters())


def test_late_fusion_of_score_matrices():
    module = LateFusion(MODALITIES, weights=(1.0, 1.0, 2.0))
    scores = {m: torch.full((2, 4), float(k)) for k, m in enumerate(MODALITIES)}
    item_mask = torch.tensor([[True, True, True], [True, True, False], [False, True, False], [True, False, True]])
    s = module.fuse_scores(scores, item_mask)
    expected = torch.tensor([0 * .25 + 1 * .25 + 2 * .5, 0.5, 1.0, 2 * 2 / 3])
    torch.testing.assert_close(s, expected.expand(2, 4))


def test_modality_dropout_keeps_one_and_never_adds():
    gen = torch.Generator().manual_seed(0)
    mask = torch.rand(4000, 3, generator=gen) > 0.2
    dropped = modality_dropout(mask, 0.5, torch.Generator().manual_seed(1))
    assert not (dropped & ~mask).any()
    assert (dropped.any(-1) == mask.any(-1)).all()
    full = torch.ones(20000, 3, dtype=torch.bool)
    rate = 1 - modality_dropout(full, 0.3, torch.Generator().manual_seed(2)).float().mean()
    assert 0.2 < rate < 0.32  # p, a little less because one modality is always kept
    assert modality_dropout(mask, 0.0) is mask


def test_modality_dropout_only_in_training():
    module = WeightedSumFusion(MODALITIES, D, modality_dropout=0.5)
    f = feats(200)
    module.eval()
    torch.testing.assert_close(module.weights(f), torch.full((200, 3), 1 / 3))
    module.train()
    torch.manual_seed(0)
    w = module.weights(f)
    assert (w == 0).any() and torch.allclose(w.sum(-1), torch.ones(200))


def test_helpers():
    torch.testing.assert_close(normalize_weights([1, 1, 2]), torch.tensor([0.25, 0.25, 0.5]))
    with pytest.raises(ValueError):
        normalize_weights([0, 0, 0])
    with pytest.raises(ValueError):
        normalize_weights([1, -1, 1])
    grid = simplex_grid(0.1)
    assert grid.shape == (66, 3)
    torch.testing.assert_close(grid.sum(1), torch.ones(66))
    assert len({tuple(r) for r in grid.tolist()}) == 66 and (grid >= 0).all()
    assert simplex_grid(0.5).shape == (6, 3)
    w = renormalize(torch.tensor([0.2, 0.3, 0.5]), torch.tensor([[True, False, True], [False, False, False]]))
    torch.testing.assert_close(w, torch.tensor([[2 / 7, 0, 5 / 7], [0, 0, 0]]))
    sm = masked_softmax(torch.zeros(2, 3), torch.tensor([[True, True, False], [False, False, False]]))
    torch.testing.assert_close(sm, torch.tensor([[0.5, 0.5, 0], [0, 0, 0]]))
    # over another dimension, with a mask that broadcasts: the same as transposing first
    x = torch.randn(2, 4, 3, generator=torch.Generator().manual_seed(0))
    rows = torch.tensor([[True, False, True, True], [False, False, False, False]])[:, :, None]  # (2, 4, 1)
    over_rows = masked_softmax(x, rows, dim=-2)
    assert over_rows.shape == (2, 4, 3)
    torch.testing.assert_close(over_rows, masked_softmax(x.transpose(1, 2), rows.transpose(1, 2)).transpose(1, 2))
    torch.testing.assert_close(over_rows[0].sum(0), torch.ones(3))
    assert torch.equal(over_rows[1], torch.zeros(4, 3)) and torch.equal(over_rows[0, 1], torch.zeros(3))
    m = stack_masks({"text": torch.tensor([True]), "image": torch.tensor([False]), "audio": torch.tensor([True])},
                    MODALITIES, torch.zeros(1, D))
    assert m.tolist() == [[True, False, True]]
    with pytest.raises(ValueError):
        stack_masks(torch.ones(1, 2, dtype=torch.bool), MODALITIES, torch.zeros(1, D))
    with pytest.raises(KeyError):
        WeightedSumFusion(MODALITIES, D)({"text": torch.zeros(1, D)})
    with pytest.raises(ValueError):
        make_fusion("product")


def test_logit_cap_bounds_the_weight_ratio():
    torch.manual_seed(0)
    module = AttentionFusion(MODALITIES, D, query_dim=4, item_aware=False, logit_cap=0.5).eval()
    q = torch.randn(B, 4) * 100  # huge queries would give one-hot weights without the cap
    w = module.weights(feats(), None, q)
    assert (w.max(-1).values / w.min(-1).values <= torch.exp(torch.tensor(1.0)) + 1e-4).all()
    module.logit_cap = None
    assert module.weights(feats(), None, q).max() > 0.99


def test_attention_random_mix_is_unbiased_and_only_in_training():
    torch.manual_seed(0)
    module = AttentionFusion(MODALITIES, D, query_dim=4, random_mix=1.0)
    x, q = feats(b=4), torch.randn(4, 4)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=torch.bool)
    module.eval()
    w = module.weights(x, mask, q)
    torch.testing.assert_close(w.sum(-1), torch.ones(4))
    module.train()
    draws = torch.stack([module.weights(x, mask, q) for _ in range(4000)])  # (draws, 4, M)
    assert (draws[:, ~mask] == 0).all()  # absent modalities stay out
    assert not torch.allclose(draws[0], draws[1])  # a fresh mix per call
    torch.testing.assert_close(draws[:, 2], w[2].expand(4000, -1))  # one modality: nothing to mix
    torch.testing.assert_close(draws.mean(0), w, atol=0.02, rtol=0)  # E[n r_m w_m] = w_m
    with pytest.raises(ValueError, match="random_mix"):
        AttentionFusion(MODALITIES, D, random_mix=-1.0)


def test_weights_without_forming_z():
    torch.manual_seed(0)
    assert ConcatFusion(MODALITIES, D).weights(feats()) is None
    gated = GatedFusion(MODALITIES, D).weights(feats())
    assert gated.shape == (B, 3)
    torch.testing.assert_close(gated.sum(-1), torch.ones(B))
    with pytest.raises(NotImplementedError):
        GatedFusion(MODALITIES, D).weights_from(torch.zeros(B, 3, D), torch.ones(B, 3, dtype=torch.bool), None)
