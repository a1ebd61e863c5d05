"""The δ slider: how the mix z_u' = δ·z_u + (1−δ)·c_uv changes one user's top K and the metrics.

The score is linear in δ: :math:`s_u^v(\\delta) = \\delta\\,\\langle z_u, z_v\\rangle + (1-\\delta)\\,\\langle c_{uv}, z_v\\rangle`.
:func:`score_parts` computes the two ``(n_users, n_items)`` parts once from a trained
:class:`~mmrec_tutorial.models.crossmodal_ranker.CrossModalRanker`; after that any δ costs one
weighted sum. Everything a slider shows comes from :func:`delta_view` (a pure function the
tests call directly); :func:`delta_widget` is only the ipywidgets shell around it.

Note: the parts are those of the *trained* model, recombined with another δ, not a model
retrained at that δ.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence

import pandas as pd
import torch

from ..data.splits import UserItemSets
from ..metrics import evaluate_full_ranking
from .fusion import user_batches

__all__ = ["ScoreParts", "DeltaView", "score_parts", "delta_scores", "delta_view", "delta_sweep", "delta_widget"]


@dataclasses.dataclass
class ScoreParts:
    """``s_z`` = ⟨z_u, z_v⟩ and ``s_c`` = ⟨c_uv, z_v⟩, each ``(n_users, n_items)`` on CPU, with the
    evaluation sets (test items to find, training items to mask) and the trained δ."""

    s_z: torch.Tensor
    s_c: torch.Tensor
    test: UserItemSets
    exclude: UserItemSets
    trained_delta: float


@dataclasses.dataclass
class DeltaView:
    """What the slider shows for one δ and one user.

    ``top_items`` ``(k,)`` item indices best first, ``top_scores`` their scores, ``hits`` whether
    each is one of the user's test items, ``share_c`` the share of each top item's score that
    comes from ``(1−δ)·⟨c_uv, z_v⟩`` in absolute terms; ``metrics``: Recall@K and NDCG@K over all
    test users at this δ.
    """

    delta: float
    user: int
    top_items: list[int]
    top_scores: list[float]
    hits: list[bool]
    share_c: list[float]
    metrics: dict[str, float]


@torch.no_grad()
def score_parts(model, test: UserItemSets, exclude: UserItemSets, batch_size: int = 128) -> ScoreParts:
    """Both score parts of ``model`` (a ``CrossModalRanker``) for every user, in batches."""
    model.eval()
    zs, cs = [], []
    for users in user_batches(model, batch_size):
        s_z, s_c = model.score_parts(users)
        zs.append(s_z.float().cpu())
        cs.append(s_c.float().cpu())
    return ScoreParts(torch.cat(zs), torch.cat(cs), test, exclude, float(model.delta.value))


def delta_scores(parts: ScoreParts, delta: float, users: torch.Tensor | None = None) -> torch.Tensor:
    """``δ·s_z + (1−δ)·s_c`` for ``users`` (all when None): ``(b, n_items)``."""
    if not 0.0 <= delta <= 1.0:
        raise ValueError(f"delta must be in [0, 1], got {delta}")
    s_z, s_c = (parts.s_z, parts.s_c) if users is None else (parts.s_z[users], parts.s_c[users])
    return delta * s_z + (1 - delta) * s_c


def _metrics(parts: ScoreParts, delta: float, k: int) -> dict[str, float]:
    result = evaluate_full_ranking(lambda u: delta_scores(parts, delta, u.cpu()), parts.test, parts.exclude, ks=(k,))
    means = result.mean()
    return {f"recall@{k}": means[f"recall@{k}"], f"ndcg@{k}": means[f"ndcg@{k}"]}


def delta_view(parts: ScoreParts, delta: float, user: int, k: int = 10, metric_k: int = 20) -> DeltaView:
    """Top ``k`` items of ``user`` (training items masked) and the metrics @``metric_k`` at ``delta``."""
    scores = delta_scores(parts, delta, torch.tensor([user]))[0]
    seen = parts.exclude.dense(torch.tensor([user]))[0]
    top = torch.topk(scores.masked_fill(seen, float("-inf")), k)
    items = top.indices
    test = parts.test.dense(torch.tensor([user]))[0]
    part_z, part_c = delta * parts.s_z[user, items], (1 - delta) * parts.s_c[user, items]
    share = part_c.abs() / (part_z.abs() + part_c.abs()).clamp(min=1e-12)
    return DeltaView(float(delta), int(user), items.tolist(), top.values.tolist(), test[items].tolist(), share.tolist(),
                     _metrics(parts, delta, metric_k))


def delta_sweep(parts: ScoreParts, deltas: Sequence[float] = tuple(i / 10 for i in range(11)),
                k: int = 20) -> pd.DataFrame:
    """Recall@k and NDCG@k over all test users for each δ in ``deltas`` (one row per δ)."""
    return pd.DataFrame([{"delta": float(d), **_metrics(parts, float(d), k)} for d in deltas])


def _topk_html(view: DeltaView, titles: Sequence[str] | None) -> str:
    rows = []
    for rank, (item, score, hit, share) in enumerate(zip(view.top_items, view.top_scores, view.hits, view.share_c), 1):
        name = html.escape(titles[item]) if titles is not None else f"item {item}"
        mark = " ✔" if hit else ""
        rows.append(f"<tr><td>{rank}</td><td>{name}{mark}</td><td>{score:.3f}</td><td>{share:.0%}</td></tr>")
    return ("<table><tr><th>#</th><th>item (✔ = in the user's test set)</th><th>score</th>"
            "<th>from c_uv</th></tr>" + "".join(rows) + "</table>")


def _metrics_html(view: DeltaView) -> str:
    text = ", ".join(f"{name} = {value:.4f}" for name, value in view.metrics.items())
    return f"<b>δ = {view.delta:.2f}</b> — all test users: {text}"


def delta_widget(parts: ScoreParts, users: Sequence[int], titles: Sequence[str] | None = None, k: int = 10,
                 metric_k: int = 20, step: float = 0.05):
    """A δ slider (description ``"δ"``), a user picker, the top-K list (CSS class ``mmrec-topk``)
    and the metric readout (CSS class ``mmrec-metrics``), all from :func:`delta_view`."""
    import ipywidgets as W

    start = round(round(parts.trained_delta / step) * step, 6)  # on the slider's grid
    slider = W.FloatSlider(value=start, min=0.0, max=1.0, step=step, description="δ", readout_format=".2f",
                           continuous_update=False)
    picker = W.Dropdown(options=[(f"user {u}", int(u)) for u in users], value=int(users[0]), description="user")
    topk, metrics = W.HTML(), W.HTML()
    topk.add_class("mmrec-topk")
    metrics.add_class("mmrec-metrics")

    def render(change=None) -> None:
        view = delta_view(parts, float(slider.value), int(picker.value), k, metric_k)
        metrics.value = _metrics_html(view)
        topk.value = _topk_html(view, titles)

    slider.observe(render, names="value")
    picker.observe(render, names="value")
    render()
    return W.VBox([W.HBox([slider, picker]), metrics, topk])
