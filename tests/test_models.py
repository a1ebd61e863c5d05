"""The rankers: shapes, losses, learning on planted structure, cold items, sequences, checkpoints."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from mmrec_tutorial.data.modalities import ItemFeatures
from mmrec_tutorial.data import cold_start_split, random_split, temporal_split
from mmrec_tutorial.models import (BPRMF, VBPR, DeepMF, ItemContent, Popularity, SASRec, bpr_loss,
                                   sampled_softmax_loss)
from mmrec_tutorial.evaluation import evaluate_trained
from mmrec_tutorial.train import TrainConfig, fit, load_checkpoint, save_checkpoint

N_USERS, N_ITEMS, N_BLOCKS = 80, 48, 4


def planted_interactions(seed: int = 0) -> pd.DataFrame:
    """Users of block b use only items of block b (12 items each), 8 of them, in random order."""
    rng = np.random.default_rng(seed)
    rows = []
    size = N_ITEMS // N_BLOCKS
    for u in range(N_USERS):
        block = u % N_BLOCKS
        for t, i in enumerate(rng.permutation(size)[:8] + size * block):
            rows.append((u, int(i), t))
    return pd.DataFrame(rows, columns=["user_idx", "item_idx", "timestamp"])


def planted_content(seed: int = 0) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Two modalities that both reveal the item's block (one-hot + noise); one item lacks 'b'."""
    gen = torch.Generator().manual_seed(seed)
    block = torch.arange(N_ITEMS) // (N_ITEMS // N_BLOCKS)
    onehot = F.one_hot(block, N_BLOCKS).float()
    feats = {"a": torch.cat([onehot, 0.3 * torch.randn(N_ITEMS, 4, generator=gen)], 1),
             "b": torch.cat([0.3 * torch.randn(N_ITEMS, 6, generator=gen), onehot], 1)}
    masks = {"a": torch.ones(N_ITEMS, dtype=torch.bool), "b": torch.ones(N_ITEMS, dtype=torch.bool)}
    masks["b"][5] = False
    return feats, masks


def content(dim: int = 16) -> ItemContent:
    feats, masks = planted_content()
    return ItemContent(ItemFeatures.from_tensors(feats, masks), dim=dim)


FACTORIES = {
    "bpr": lambda: BPRMF(N_USERS, N_ITEMS, dim=16),
    "bpr-softmax": lambda: BPRMF(N_USERS, N_ITEMS, dim=16, loss="softmax"),
    "vbpr": lambda: VBPR(N_USERS, N_ITEMS, content(), dim=16),
    "deepmf": lambda: DeepMF(N_USERS, N_ITEMS, content(), dim=16, hidden=(32,)),
    "deepmf-id": lambda: DeepMF(N_USERS, N_ITEMS, None, dim=16, hidden=(32,)),
}
pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: small models run fastest on one thread


CFG = dict(epochs=25, lr=0.02, batch_size=128, patience=25, progress=False, device="cpu")


@pytest.fixture(scope="module")
def warm():
    return random_split(planted_interactions(), N_USERS, N_ITEMS, seed=0)


@pytest.fixture(scope="module")
def popularity(warm):
    return evaluate_trained(fit(Popularity(N_USERS, N_ITEMS), warm, TrainConfig(progress=False)).model, warm, ks=(5,)).mean()


def test_bpr_loss_is_minus_log_sigmoid():
    pos, neg = torch.tensor([2.0, -1.0]), torch.tensor([0.5, 0.0])
    expected = -torch.log(torch.sigmoid(pos - neg)).mean()
    assert torch.allclose(bpr_loss(pos, neg), expected)


def test_sampled_softmax_is_cross_entropy_and_masks_accidental_hits():
    gen = torch.Generator().manual_seed(0)
    users, cands = torch.randn(3, 4, generator=gen), torch.randn(6, 4, generator=gen)
    ids, pos = torch.tensor([0, 1, 2, 3, 4, 5]), torch.tensor([0, 1, 2])
    logits = users @ cands.T
    assert torch.allclose(sampled_softmax_loss(users, cands, ids, pos), F.cross_entropy(logits, torch.arange(3)))
    # candidate 4 is the same item as user 0's positive: it must not count as a negative for user 0
    dup = torch.tensor([0, 1, 2, 3, 0, 5])
    masked = logits.clone()
    masked[0, 4] = -math.inf
    assert torch.allclose(sampled_softmax_loss(users, cands, dup, pos), F.cross_entropy(masked, torch.arange(3)))
    assert torch.allclose(sampled_softmax_loss(users, cands, ids, pos, temperature=0.5),
                          F.cross_entropy(logits / 0.5, torch.arange(3)))


@pytest.mark.parametrize("name", sorted(FACTORIES) + ["sasrec", "popularity"])
def test_shapes_and_pairwise_scores_agree(name, warm):
    if name == "sasrec":
        model = SASRec(N_USERS, N_ITEMS, content(), dim=16, max_len=10)
    elif name == "popularity":
        model = Popularity(N_USERS, N_ITEMS)
    else:
        model = FACTORIES[name]()
    model.prepare(warm)
    model.eval()
    users, items = torch.tensor([0, 5, 79]), torch.tensor([3, 0, 47])
    with torch.no_grad():
        full = model.full_scores(users)
        assert full.shape == (3, N_ITEMS) and torch.isfinite(full).all()
        assert torch.allclose(model.score(users, items), full[torch.arange(3), items], atol=1e-5)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_ranker_learns_planted_structure_and_beats_popularity(name, warm, popularity):
    result = fit(FACTORIES[name](), warm, TrainConfig(**CFG))
    test = evaluate_trained(result.model, warm, ks=(5,)).mean()
    assert test["recall@5"] > popularity["recall@5"] + 0.2, (test, popularity)
    assert result.history["loss"].iloc[-1] < result.history["loss"].iloc[0]


def test_content_rankers_rank_cold_items_and_id_only_ones_cannot():
    cold = cold_start_split(planted_interactions(), N_USERS, N_ITEMS, cold_frac=0.25, seed=1)
    assert len(cold.cold_items) > 0 and set(cold.test["item_idx"]) <= set(cold.cold_items)
    recall = {}
    for name in ("bpr", "vbpr", "deepmf"):
        model = fit(FACTORIES[name](), cold, TrainConfig(**CFG)).model
        recall[name] = evaluate_trained(model, cold, ks=(5,)).mean()["recall@5"]
    assert recall["vbpr"] > recall["bpr"] + 0.2, recall
    assert recall["deepmf"] > recall["bpr"] + 0.2, recall


def test_item_content_ignores_absent_modalities_and_checks_shapes():
    feats, masks = planted_content()
    module = ItemContent(ItemFeatures.from_tensors(feats, masks), dim=8)
    before = module(torch.tensor([5, 6]))
    changed = {k: v.clone() for k, v in feats.items()}
    changed["b"][5] += 100.0  # item 5 has no "b": its (garbage) row must not matter
    after = ItemContent(ItemFeatures.from_tensors(changed, masks), dim=8)
    after.load_state_dict(module.state_dict())
    assert after(torch.tensor([5, 6]))[0].allclose(before[0], atol=1e-5)
    assert module().shape == (N_ITEMS, 8)
    with pytest.raises(ValueError, match="one row per item"):
        ItemContent(ItemFeatures.from_tensors({"a": feats["a"], "b": feats["b"][:-1]}), dim=8)


def test_popularity_ranks_by_training_counts(warm):
    model = fit(Popularity(N_USERS, N_ITEMS), warm, TrainConfig(progress=False)).model
    counts = np.bincount(warm.train["item_idx"], minlength=N_ITEMS)
    scores = model.full_scores(torch.tensor([0]))[0].cpu()  # fit may have moved the model to a GPU
    assert torch.equal(scores, torch.tensor(counts, dtype=torch.float32))


def sequential_interactions() -> pd.DataFrame:
    """Every user walks the items in a fixed cycle from a random start: the next item is fully
    determined by the last one, which a sequence model can learn and popularity cannot."""
    rng = np.random.default_rng(0)
    rows = []
    for u in range(N_USERS):
        start = rng.integers(N_ITEMS)
        rows += [(u, int((start + 5 * t) % N_ITEMS), t) for t in range(10)]
    return pd.DataFrame(rows, columns=["user_idx", "item_idx", "timestamp"])


@pytest.mark.parametrize("loss", ["bpr", "softmax"])
def test_sasrec_learns_the_next_item_and_beats_popularity(loss):
    split = temporal_split(sequential_interactions(), N_USERS, N_ITEMS)
    cfg = TrainConfig(epochs=40, lr=0.01, batch_size=32, patience=40, max_len=10, progress=False, device="cpu")
    result = fit(SASRec(N_USERS, N_ITEMS, dim=32, n_layers=1, max_len=10, dropout=0.0, loss=loss), split, cfg)
    before = evaluate_trained(result.model, split, ks=(5,)).mean()  # history ends two steps before the test item
    result.model.set_history(pd.concat([split.train, split.valid]))
    seq = evaluate_trained(result.model, split, ks=(5,)).mean()
    assert seq["recall@5"] > before["recall@5"]
    pop = evaluate_trained(fit(Popularity(N_USERS, N_ITEMS), split, TrainConfig(progress=False)).model, split, ks=(5,)).mean()
    assert seq["recall@5"] > 0.8 and seq["recall@5"] > pop["recall@5"] + 0.5, (seq, pop)


def test_sasrec_is_causal_and_padding_safe():
    model = SASRec(N_USERS, N_ITEMS, content(), dim=16, max_len=6, dropout=0.0).eval()
    seqs = torch.tensor([[0, 0, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]])
    with torch.no_grad():
        states = model.encode(seqs)
        changed = seqs.clone()
        changed[0, -1] = 9  # the future must not change earlier states
        assert torch.allclose(model.encode(changed)[0, :-1], states[0, :-1], atol=1e-5)
        assert torch.isfinite(states).all()  # an empty history gives numbers, not NaN
        with pytest.raises(ValueError, match="max_len"):
            model.encode(torch.ones(1, 7, dtype=torch.long))


@pytest.mark.parametrize("name", ["bpr", "vbpr", "deepmf", "sasrec", "popularity"])
def test_checkpoints_restore_the_same_scores(name, warm, tmp_path):
    factories = {**FACTORIES, "sasrec": lambda: SASRec(N_USERS, N_ITEMS, content(), dim=16, max_len=10),
                 "popularity": lambda: Popularity(N_USERS, N_ITEMS)}
    cfg = TrainConfig(**{**CFG, "epochs": 2, "max_len": 10, "checkpoint": tmp_path / "best.pt"})
    trained = fit(factories[name](), warm, cfg).model
    path = tmp_path / "model.pt"
    save_checkpoint(trained, path)
    fresh = load_checkpoint(factories[name](), path).eval()  # no prepare(): the state holds everything
    users = torch.arange(N_USERS)
    with torch.no_grad():
        assert torch.allclose(fresh.full_scores(users), trained.full_scores(users), atol=1e-6)


def test_training_is_deterministic(warm):
    runs = [fit(FACTORIES["vbpr"](), warm, TrainConfig(**{**CFG, "epochs": 3})) for _ in range(2)]
    assert runs[0].history["loss"].tolist() == runs[1].history["loss"].tolist()


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="loss must be one of"):
        BPRMF(3, 4, loss="hinge")
    with pytest.raises(ValueError, match="items"):
        VBPR(N_USERS, N_ITEMS + 1, content())


def test_vbpr_penalises_the_content_vectors_too(warm):
    plain, penalised = (VBPR(N_USERS, N_ITEMS, content(), dim=16, content_reg=c) for c in (0.0, 1.0))
    penalised.load_state_dict(plain.state_dict())
    users, pos, neg = torch.tensor([0, 1]), torch.tensor([2, 3]), torch.tensor([4, 5])
    content_sq = plain.content(torch.cat([pos, neg])).pow(2).sum(-1)
    expected = plain.regularizer(users, pos, neg) + (content_sq[:2] + content_sq[2:]).mean()
    assert torch.allclose(penalised.regularizer(users, pos, neg), expected, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("reg", [0.0, 0.05])
def test_bpr_mf_closed_form_gradient_is_autograds(bias, reg):
    """BPR-MF's fused loss (gradient written out) gives autograd's loss and gradients, repeated
    rows included; and torch's numerical gradcheck agrees in float64."""
    from mmrec_tutorial.models.factor import BPRMF, FactorModel
    from mmrec_tutorial.models.fused_bpr import bpr_mf_loss

    torch.manual_seed(0)
    model = BPRMF(7, 9, dim=4, bias=bias)
    if bias:
        torch.nn.init.normal_(model.bias)
    users, pos, neg = torch.tensor([0, 0, 3, 6, 2]), torch.tensor([1, 1, 4, 8, 0]), torch.tensor([2, 5, 4, 1, 1])
    grads = []
    for loss_fn in (FactorModel.loss, BPRMF.loss):
        model.zero_grad()
        loss = loss_fn(model, users, pos, neg, reg=reg)
        loss.backward()
        grads.append((float(loss.detach()), [p.grad.clone() for p in model.parameters()]))
    (ref_loss, ref), (loss, got) = grads
    assert loss == pytest.approx(ref_loss, rel=1e-6)
    assert all(torch.allclose(a, b, atol=1e-7) for a, b in zip(ref, got))
    tables = [t.detach().double().requires_grad_() if t is not None else None
              for t in (model.user_emb.weight, model.item_emb.weight, model.bias)]
    assert torch.autograd.gradcheck(lambda u, i, b: bpr_mf_loss(u, i, b, users, pos, neg, reg),
                                    tuple(tables))
