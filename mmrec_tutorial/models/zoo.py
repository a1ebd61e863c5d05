"""Rankers by name, with defaults that train well without a sweep.

``build_model("vbpr", n_users, n_items, content)`` builds a ranker (``content``: the items'
:class:`~mmrec_tutorial.data.modalities.ItemFeatures`);
``default_config("vbpr")`` gives the ``TrainConfig`` keyword arguments it trains with: those of
BPR-MF and LightGCN were chosen on real data (Last.fm 2K's validation part), the item-graph model
trains with LightGCN's and its own settings (k, modality weights, pruning, content loss) were
chosen there too (``benchmarks/graph_models.py --grid``); the others on the sample catalog's random
split (``benchmarks/ranking.py``). Names:

======================  ===========================================================  ========
name                    model                                                        content?
======================  ===========================================================  ========
popularity              :class:`~.popularity.Popularity`                             no
knn                     :class:`~.knn.ContentKNN` (cosine to the user's history)     yes
bpr                     :class:`~.factor.BPRMF` (IDs only)                           no
lightgcn                :class:`~.lightgcn.LightGCN` (IDs smoothed over the graph)   no
freedom                 :class:`~.freedom.FreedomRanker` (+ frozen item kNN graph)   yes
deepmf-id               :class:`~.deep_mf.DeepMF` without content                    no
deepmf                  :class:`~.deep_mf.DeepMF` (MLP towers over IDs + content)    yes
vbpr                    :class:`~.vbpr.VBPR` (ID + projected fused content)          yes
fusion                  :class:`~.fused.FusedRecommender` (multimodal two-tower)     yes
crossmodal              :class:`~.crossmodal_ranker.CrossModalRanker` (δ-mix, c_uv)  yes
crossmodal-deepmf       the same, scored by deep MF towers over (z_u', z_v)          yes
crossmodal-transformer  the same, scored by a Transformer over (z_u', z_v)           yes
sasrec                  :class:`~.sasrec.SASRec` (tokens = ID + fused content)       yes
sasrec-id               :class:`~.sasrec.SASRec` over IDs only                       no
======================  ===========================================================  ========
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from torch import nn

from ..data.modalities import ItemFeatures
from .base import Recommender
from .content import ItemContent
from .deep_mf import DeepMF
from .factor import BPRMF
from .freedom import FreedomRanker
from .knn import ContentKNN
from .lightgcn import LightGCN
from .popularity import Popularity
from .sasrec import SASRec
from .vbpr import VBPR


def _require_content(content: ItemFeatures | None, name: str) -> ItemFeatures:
    """``content``, or a ``ValueError`` naming model ``name`` if there is none."""
    if content is None or not content.features:
        raise ValueError(f"model {name!r} needs item content (an ItemFeatures, e.g. from encoders.encode_catalog)")
    return content


def _tower(content: ItemFeatures | None, dim: int, fusion: nn.Module | None, name: str,
           input_dropout: float = 0.0) -> ItemContent:
    """The content tower of model ``name``: fused ``(n_items, dim)`` vectors of ``content``."""
    return ItemContent(_require_content(content, name), dim=dim, fusion=fusion, input_dropout=input_dropout)


def _fused(n_users: int, n_items: int, content: ItemFeatures | None, fusion: nn.Module | None,
           kwargs: dict[str, Any]) -> Recommender:
    """The ``"fusion"`` model: a :class:`~.fused.FusedRecommender` (it builds its own content tower)."""
    from .fused import FusedRecommender  # noqa: PLC0415

    content = _require_content(content, "fusion")
    return FusedRecommender(n_users, n_items, content, **({"fusion": fusion} if fusion else {}), **kwargs)


def _crossmodal(n_users: int, n_items: int, content: ItemFeatures | None, fusion: nn.Module | None,
                kwargs: dict[str, Any]) -> Recommender:
    """The ``"crossmodal"`` model: a :class:`~.crossmodal_ranker.CrossModalRanker` over an ItemContent."""
    from .crossmodal_ranker import CrossModalRanker  # noqa: PLC0415

    return CrossModalRanker(n_users, n_items, _tower(content, kwargs.pop("dim", 64), fusion, "crossmodal"), **kwargs)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One entry of the zoo: how to build the model (``build(n_users, n_items, content, fusion,
    kwargs)``), the ``TrainConfig`` keyword arguments it trains well with (``epochs`` is the cap;
    early stopping decides), whether it needs item content and whether it reads sequences, and
    constructor arguments that differ from the class's own defaults (``model``)."""

    build: Callable[[int, int, ItemFeatures | None, nn.Module | None, dict[str, Any]], Recommender]
    config: dict[str, Any]
    content: bool = False
    sequence: bool = False
    model: dict[str, Any] = dataclasses.field(default_factory=dict)


_SGD = {"batch_size": 1024, "epochs": 100, "patience": 5}
#: BPR-MF's recipe, chosen on the validation part of Last.fm 2K's published split (see
#: ``benchmarks/compare_cornac.py``): large batches, light L2, small initial factors, validation
#: every 4th epoch and patience 5 (20 epochs) against the noise of early stopping.
_BPR = {"lr": 5e-3, "batch_size": 4096, "reg": 5e-3, "epochs": 400, "patience": 5, "eval_every": 4}
#: LightGCN takes BPR-MF's recipe with twice the learning rate and 5x less L2 (its layer mean
#: already smooths the embeddings), also chosen on Last.fm 2K's validation part.
_LIGHTGCN = {**_BPR, "lr": 1e-2, "reg": 1e-3}
#: The zoo: adding a model is one file in ``models/`` and one entry here.
ZOO: dict[str, ModelSpec] = {
    "popularity": ModelSpec(lambda n_u, n_i, c, fu, kw: Popularity(n_u, n_i), {}),
    "knn": ModelSpec(lambda n_u, n_i, c, fu, kw: ContentKNN(n_u, n_i, _require_content(c, "knn")), {}, content=True),
    "bpr": ModelSpec(lambda n_u, n_i, c, fu, kw: BPRMF(n_u, n_i, **kw), _BPR, model={"init_std": 0.01}),
    "lightgcn": ModelSpec(lambda n_u, n_i, c, fu, kw: LightGCN(n_u, n_i, **kw), _LIGHTGCN),
    "freedom": ModelSpec(lambda n_u, n_i, c, fu, kw: FreedomRanker(n_u, n_i, _require_content(c, "freedom"),
                                                                   fusion=fu, **kw), _LIGHTGCN, content=True,
                         model={"item_layers": 2}),
    "deepmf-id": ModelSpec(lambda n_u, n_i, c, fu, kw: DeepMF(n_u, n_i, None, **kw), {**_SGD, "lr": 2e-3, "reg": 1e-3}),
    "deepmf": ModelSpec(lambda n_u, n_i, c, fu, kw: DeepMF(
        n_u, n_i, _tower(c, kw.get("dim", 64), fu, "deepmf", kw.pop("input_dropout", 0.0)), **kw),
        {**_SGD, "lr": 2e-3, "reg": 1e-3}, content=True),
    "vbpr": ModelSpec(lambda n_u, n_i, c, fu, kw: VBPR(
        n_u, n_i, _tower(c, kw.pop("content_dim", 64), fu, "vbpr", kw.pop("input_dropout", 0.0)), **kw),
        {**_SGD, "lr": 5e-3, "reg": 3e-2}, content=True),
    "fusion": ModelSpec(_fused, {**_SGD, "lr": 5e-3, "reg": 1e-4}, content=True),
    "crossmodal": ModelSpec(_crossmodal, {**_SGD, "lr": 5e-3, "reg": 1e-4}, content=True),
    # the two heads over (z_u', z_v): lr 2e-3 ranked first of {2e-3, 5e-3, 1e-2} for both on the
    # validation part of the sample's warm + cold split (evaluation.sweep)
    "crossmodal-deepmf": ModelSpec(_crossmodal, {**_SGD, "lr": 2e-3, "reg": 1e-4}, content=True,
                                   model={"head": "deepmf"}),
    "crossmodal-transformer": ModelSpec(_crossmodal, {**_SGD, "lr": 2e-3, "reg": 1e-4}, content=True,
                                        model={"head": "transformer"}),
    "sasrec": ModelSpec(lambda n_u, n_i, c, fu, kw: SASRec(n_u, n_i, _tower(c, kw.get("dim", 64), fu, "sasrec"), **kw),
                        {**_SGD, "lr": 5e-3, "batch_size": 128, "max_len": 50}, content=True, sequence=True),
    "sasrec-id": ModelSpec(lambda n_u, n_i, c, fu, kw: SASRec(n_u, n_i, None, **kw),
                           {**_SGD, "lr": 5e-3, "batch_size": 128, "max_len": 50}, sequence=True),
}
MODEL_NAMES: tuple[str, ...] = tuple(ZOO)
#: Models that need item content to be built.
CONTENT_MODELS: tuple[str, ...] = tuple(name for name, spec in ZOO.items() if spec.content)
#: Models trained on a temporal (leave-last-out) split.
SEQUENCE_MODELS: tuple[str, ...] = tuple(name for name, spec in ZOO.items() if spec.sequence)


def _spec(name: str) -> ModelSpec:
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    return ZOO[name]


def build_model(name: str, n_users: int, n_items: int, content: ItemFeatures | None = None,
                fusion: nn.Module | None = None, **kwargs: Any) -> Recommender:
    """A ranker by name (see the module docstring); ``kwargs`` go to its constructor.

    ``content``: the items' :class:`~mmrec_tutorial.data.modalities.ItemFeatures`, for the content
    models; ``fusion`` replaces the default learnable weighted sum.
    """
    spec = _spec(name)
    return spec.build(n_users, n_items, content, fusion, {**spec.model, **kwargs})


def default_config(name: str) -> dict[str, Any]:
    """``TrainConfig`` keyword arguments that train ``name`` well (a copy; edit freely)."""
    return dict(_spec(name).config)
