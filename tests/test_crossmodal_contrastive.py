"""Cross-modal (CLIP-style) InfoNCE, the bounded temperature, alignment training and cross-modal retrieval metrics."""

import math

import pytest
import torch

from mmrec_tutorial.crossmodal import (AlignmentConfig, LogitScale, borrow_missing, cross_modal_info_nce, fit_alignment,
                                       least_squares_map, modality_pairs, pairwise_alignment_loss, retrieval_metrics,
                                       retrieval_table)


def _ce(logits_row, target):
    return -logits_row[target] + math.log(sum(math.exp(x) for x in logits_row))


def test_info_nce_matches_hand_computed_case():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # second row not unit norm: normalised inside
    b = torch.tensor([[3.0, 0.0], [0.6, 0.8]])
    s = 2.0
    # cosine matrix [[1, .6], [0, .8]], logits = s * cos
    l = [[s * 1.0, s * 0.6], [s * 0.0, s * 0.8]]
    a_to_b = (_ce(l[0], 0) + _ce(l[1], 1)) / 2
    b_to_a = (_ce([l[0][0], l[1][0]], 0) + _ce([l[0][1], l[1][1]], 1)) / 2
    assert cross_modal_info_nce(a, b, s).item() == pytest.approx((a_to_b + b_to_a) / 2, abs=1e-6)
    assert cross_modal_info_nce(a, b, s, symmetric=False).item() == pytest.approx(a_to_b, abs=1e-6)


def test_info_nce_identity_pairs_value():
    eye = torch.eye(2)
    assert cross_modal_info_nce(eye, eye, 1.0).item() == pytest.approx(math.log(1 + math.exp(-1)), abs=1e-6)


def test_info_nce_is_symmetric_and_scale_invariant():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 5, generator=gen), torch.randn(7, 5, generator=gen)
    assert cross_modal_info_nce(a, b).item() == pytest.approx(cross_modal_info_nce(b, a).item(), abs=1e-5)
    assert cross_modal_info_nce(3 * a, 0.5 * b).item() == pytest.approx(cross_modal_info_nce(a, b).item(), abs=1e-5)
    assert cross_modal_info_nce(a, b, symmetric=False).item() != pytest.approx(cross_modal_info_nce(b, a, symmetric=False).item(), abs=1e-4)


def test_info_nce_rewards_alignment():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(16, 8, generator=gen)
    aligned = cross_modal_info_nce(a, a + 0.01 * torch.randn(16, 8, generator=gen), 100.0)
    shuffled = cross_modal_info_nce(a, a[torch.randperm(16, generator=gen)], 100.0)
    assert aligned.item() < 0.01 < shuffled.item()


def test_info_nce_rejects_bad_shapes_and_handles_empty():
    with pytest.raises(ValueError):
        cross_modal_info_nce(torch.zeros(3, 2), torch.zeros(4, 2))
    assert cross_modal_info_nce(torch.zeros(0, 4), torch.zeros(0, 4)).item() == 0.0


def test_cross_modal_info_nce_is_not_the_nt_xent_of_audio_self_supervision():
    """Same pairs, same temperature: NT-Xent also counts the same-side rows as negatives, so it is
    larger; with those removed (their logits at -inf) the two losses agree."""
    from mmrec_tutorial.encoders.audio_ssl import nt_xent_loss

    gen = torch.Generator().manual_seed(3)
    a, b = torch.randn(6, 4, generator=gen), torch.randn(6, 4, generator=gen)
    cross = cross_modal_info_nce(a, b, 1 / 0.2)
    assert nt_xent_loss(a, b, 0.2) > cross
    z = torch.nn.functional.normalize(torch.cat([a, b]), dim=1)
    logits = z @ z.T / 0.2
    same_side = torch.block_diag(torch.ones(6, 6), torch.ones(6, 6)).bool()
    targets = torch.cat([torch.arange(6, 12), torch.arange(6)])
    only_cross = torch.nn.functional.cross_entropy(logits.masked_fill(same_side, float("-inf")), targets)
    assert only_cross.item() == pytest.approx(cross.item(), abs=1e-5)


def test_logit_scale_bounds_and_gradient():
    scale = LogitScale(init_temperature=0.07, min_temperature=0.01, max_temperature=1.0)
    assert scale.temperature == pytest.approx(0.07, rel=1e-5)
    with torch.no_grad():
        scale.log_scale.fill_(50.0)
    assert scale().item() == pytest.approx(100.0, rel=1e-5)  # capped at 1 / 0.01, like CLIP
    with torch.no_grad():
        scale.log_scale.fill_(-50.0)
    assert scale().item() == pytest.approx(1.0, rel=1e-5)
    with torch.no_grad():
        scale.log_scale.fill_(math.log(10.0))
    scale().backward()
    assert scale.log_scale.grad.item() == pytest.approx(10.0, rel=1e-5)  # d exp(x)/dx inside the bounds
    with pytest.raises(ValueError):
        LogitScale(init_temperature=2.0, max_temperature=1.0)


def test_pairwise_loss_uses_only_items_with_both_modalities():
    gen = torch.Generator().manual_seed(2)
    tokens = {m: torch.randn(6, 4, generator=gen) for m in ("text", "image", "audio")}
    masks = {"text": torch.tensor([1, 1, 1, 1, 1, 1], dtype=torch.bool),
             "image": torch.tensor([1, 1, 0, 1, 1, 0], dtype=torch.bool),
             "audio": torch.tensor([1, 0, 1, 1, 1, 1], dtype=torch.bool)}
    pairs = modality_pairs(["text", "image", "audio"])
    assert pairs == [("text", "image"), ("text", "audio"), ("image", "audio")]
    loss, parts = pairwise_alignment_loss(tokens, masks, pairs)
    expected = {}
    for a, b in pairs:
        keep = masks[a] & masks[b]
        expected[f"{a}-{b}"] = cross_modal_info_nce(tokens[a][keep], tokens[b][keep], 1 / 0.07).item()
    assert parts == pytest.approx(expected, abs=1e-6)
    assert loss.item() == pytest.approx(sum(expected.values()) / 3, abs=1e-6)


def test_retrieval_metrics_exact_and_trait():
    gallery = torch.eye(4)
    perfect = retrieval_metrics(gallery, gallery, ks=(1, 2), labels=["x", "x", "y", "y"])
    assert perfect["R@1"] == 1.0 and perfect["MRR"] == 1.0
    assert perfect["chance R@1"] == 0.25 and perfect["chance R@2"] == 0.5
    assert perfect["trait P@1"] == 1.0
    assert perfect["trait P@2"] == 0.75  # the 2nd neighbour ties at 0 -> lowest index: items 0,1 -> x; 2,3 -> x
    assert perfect["chance trait P@1"] == 0.5
    swapped = retrieval_metrics(gallery[[1, 0, 3, 2]], gallery, ks=(1,), labels=["x", "x", "y", "y"])
    assert swapped["R@1"] == 0.0 and swapped["trait P@1"] == 1.0  # wrong item, right trait
    assert swapped["MRR"] == pytest.approx(0.25)  # 1 better + 2 ties (counted against): rank 4


def test_retrieval_ties_count_against_the_match():
    same = torch.ones(3, 2)  # every gallery item equally similar
    assert retrieval_metrics(same, same, ks=(1,))["R@1"] == 0.0


def test_least_squares_map_recovers_a_linear_map():
    gen = torch.Generator().manual_seed(3)
    x, w = torch.randn(200, 5, generator=gen), torch.randn(5, 3, generator=gen)
    assert torch.allclose(least_squares_map(x, x @ w, ridge=1e-6), w, atol=1e-4)


def _two_views(n=240, seed=0):
    """Two 'modalities' of the same latent item factors through different linear maps and noise."""
    gen = torch.Generator().manual_seed(seed)
    latent = torch.randn(n, 6, generator=gen)
    text = latent @ torch.randn(6, 20, generator=gen) + 0.3 * torch.randn(n, 20, generator=gen)
    image = latent @ torch.randn(6, 32, generator=gen) + 0.3 * torch.randn(n, 32, generator=gen)
    masks = {"text": torch.ones(n, dtype=torch.bool), "image": torch.ones(n, dtype=torch.bool)}
    return {"text": text, "image": image}, masks


def test_fit_alignment_improves_held_out_retrieval():
    features, masks = _two_views()
    train, held = torch.arange(0, 180), torch.arange(180, 240)
    cfg = AlignmentConfig(dim=16, hidden=None, dropout=0.0, epochs=15, batch_size=90, lr=2e-2, progress=False)
    result = fit_alignment(features, masks, train, cfg, held_out=held)
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    methods = {"before": result.before.embed(features), "after": result.model.embed(features)}
    table = retrieval_table(methods, masks, held, [("text", "image")]).set_index("method")
    assert table.loc["after", "R@10"] > 0.8 > table.loc["before", "R@10"] + 0.3
    assert table.loc["after", "items"] == 60
    assert set(result.model.temperatures()) == {"text-image"}


def test_fit_alignment_is_deterministic():
    features, masks = _two_views(n=80)
    cfg = AlignmentConfig(dim=8, hidden=16, epochs=3, batch_size=32, progress=False)
    one = fit_alignment(features, masks, torch.arange(60), cfg).model.embed(features)
    two = fit_alignment(features, masks, torch.arange(60), cfg).model.embed(features)
    assert torch.equal(one["text"], two["text"])


def test_borrow_missing_fills_from_present_modalities():
    tokens = {"text": torch.tensor([[1.0, 0.0], [2.0, 2.0], [0.0, 0.0]]),
              "image": torch.tensor([[0.0, 0.0], [5.0, 5.0], [9.0, 9.0]]),
              "audio": torch.tensor([[3.0, 4.0], [0.0, 0.0], [7.0, 7.0]])}
    masks = {"text": torch.tensor([True, True, False]), "image": torch.tensor([False, True, False]),
             "audio": torch.tensor([True, False, False])}
    filled, new_masks = borrow_missing(tokens, masks, targets=("image",))
    assert filled["image"][0].tolist() == [2.0, 2.0]  # mean of text (1, 0) and audio (3, 4)
    assert filled["image"][1].tolist() == [5.0, 5.0]  # present: untouched
    assert filled["image"][2].tolist() == [9.0, 9.0] and not new_masks["image"][2]  # nothing to borrow from
    assert new_masks["image"].tolist() == [True, True, False]
    assert torch.equal(filled["audio"], tokens["audio"]) and torch.equal(new_masks["text"], masks["text"])


def test_least_squares_baseline_maps_queries_into_the_gallery_space():
    from mmrec_tutorial.crossmodal import least_squares_baseline

    features, masks = _two_views(n=120)
    vecs = least_squares_baseline(features, masks, torch.arange(100), [("text", "image")], ridge=1.0)
    assert vecs["text->image"].shape == features["image"].shape == vecs["image"].shape
    table = retrieval_table({"ls": vecs}, masks, torch.arange(100, 120), [("text", "image")])
    assert table["R@10"].iloc[0] > 0.8  # a linear relation: a linear map recovers it
