"""Interactive fusion weights: sliders for α, β, γ over a trained model, as pure functions plus
thin ipywidgets shells.

The fused score of a linear fusion is a weighted sum of per-modality score matrices,

    s_u^i(α, β, γ) = Σ_m w̃_im · S_m[u, i] + B[u, i],     w̃_i = renormalise((α, β, γ), mask_i)

with ``S_m[u, i] = ⟨p_u, h_i^m⟩`` (see :meth:`FusedRecommender.modality_scores`), ``B`` the
ID/bias part, and the weights renormalised over the modalities item ``i`` has. :func:`weight_lab`
computes everything that does not depend on the weights once; after that a weight change is
three multiply-adds over ``(n_users, n_items)`` and a masked top-K (:func:`score_with_weights`,
:func:`metrics_with_weights`, :func:`fusion_view`). The widget (:class:`FusionWeightsWidget`)
only wires sliders to :func:`fusion_view` and renders its result; the tests call the functions.

Caveat shown in the notebook: the matrices belong to one trained model; moving the weights
recombines *its* per-modality scores, it does not retrain. A model trained with random mixing
weights (``WeightedSumFusion(random_mix=...)``) is meant for exactly this.

Layout for other widgets of the course: a dataclass of precomputed parts, a pure ``*_view``
function returning a dataclass, ``*_html`` renderers, and a small class holding the controls.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from ..data.splits import TEST, TRAIN, Split
from ..data.modalities import MODALITIES
from ..device import cpu_threads
from ..fusion import normalize_weights, renormalize
from ..metrics import top_list_metrics

__all__ = ["WeightLab", "FusionView", "weight_lab", "late_fusion_lab", "score_with_weights", "topk_metrics", "metrics_with_weights",
           "fusion_view", "per_user_metrics", "group_weight_metrics", "metric_surface", "best_weights", "simplex_xy", "plot_simplex", "FusionWeightsWidget",
           "fusion_widget"]

SLIDER_LABELS = {"text": "α (text)", "image": "β (image)", "audio": "γ (audio)"}


# ---------------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class WeightLab:
    """The weight-independent parts of a trained model's scores, on CPU.

    ``scores`` ``(M, n_users, n_items)``: per-modality content scores ``S_m``; ``base``
    ``(n_users, n_items)``: the rest (ID factors, item bias); ``item_mask`` ``(n_items, M)``;
    ``exclude`` / ``relevant`` ``(n_users, n_items)`` bool: training items (masked) and the
    items to find (test); ``eval_users`` ``(n_eval,)``: users with at least one relevant item.
    """

    modalities: tuple[str, ...]
    scores: torch.Tensor
    base: torch.Tensor
    item_mask: torch.Tensor
    exclude: torch.Tensor
    relevant: torch.Tensor
    eval_users: torch.Tensor

    def __post_init__(self) -> None:
        m, n_users, n_items = self.scores.shape
        if self.base.shape != (n_users, n_items) or self.item_mask.shape != (n_items, m):
            raise ValueError("scores (M, U, I), base (U, I) and item_mask (I, M) do not agree")
        if self.exclude.shape != (n_users, n_items) or self.relevant.shape != (n_users, n_items):
            raise ValueError("exclude and relevant must be (n_users, n_items)")
        # the evaluated users' rows, gathered once, with -inf on excluded items folded into the
        # base: a weight change is then M multiply-adds and a top-K, nothing else
        users = self.eval_users
        self._eval = (self.scores[:, users].contiguous(),
                      self.base[users].masked_fill(self.exclude[users], float("-inf")), self.relevant[users])

    @property
    def n_users(self) -> int:
        return int(self.scores.shape[1])

    @property
    def n_items(self) -> int:
        return int(self.scores.shape[2])


def user_batches(model, batch_size: int) -> Iterator[torch.Tensor]:
    """All of ``model``'s users in consecutive ``(b,)`` batches, on the model's device (the
    widgets precompute every user's scores once, then only re-weight them)."""
    tensors = [*model.parameters(), *model.buffers()]
    device = tensors[0].device if tensors else torch.device("cpu")
    for start in range(0, model.n_users, batch_size):
        yield torch.arange(start, min(model.n_users, start + batch_size), device=device)


@torch.no_grad()
def weight_lab(model, split: Split, part: int = TEST, batch_size: int = 512) -> WeightLab:
    """Precompute a :class:`WeightLab` from a trained linear-fusion model (a
    :class:`~mmrec_tutorial.models.fused.FusedRecommender` with ``modality_scores`` and
    ``base_scores``), with ``split``'s training items masked and ``part`` (test) to find."""
    model.eval()
    scores, base = [], []
    for users in user_batches(model, batch_size):
        scores.append(model.modality_scores(users).float().cpu())
        base.append(model.base_scores(users).float().cpu())
    users = torch.arange(model.n_users)
    relevant = split.sets(part).dense(users)
    return WeightLab(tuple(model.modalities), torch.cat(scores, dim=0).transpose(0, 1).contiguous(),
                     torch.cat(base), model.item_mask().cpu(), split.sets(TRAIN).dense(users) & ~relevant,
                     relevant, torch.nonzero(relevant.any(dim=1)).flatten())


@torch.no_grad()
def late_fusion_lab(models: Mapping[str, object], split: Split, part: int = TEST, standardize: bool = True,
                    batch_size: int = 512) -> WeightLab:
    """A :class:`WeightLab` for score-level fusion of one single-modality model per modality.

    ``models``: ``{modality: trained model}`` (each with ``full_scores``; a
    :class:`~mmrec_tutorial.models.fused.FusedRecommender` also gives its item mask). With
    ``standardize``, each model's scores are z-scored per user over the items, so that a
    weight means the same for every user and no model wins by scale alone:
    ``S_m[u] = (s_m[u] - mean_i s_m[u, i]) / std_i s_m[u, i]``. (A per-user shift does not
    change that user's ranking; the per-user scale is what the weights then act on.)
    """
    parts, masks = [], []
    for name, model in models.items():
        model.eval()
        s = torch.cat([model.full_scores(users).float().cpu() for users in user_batches(model, batch_size)])
        if standardize:
            s = (s - s.mean(dim=1, keepdim=True)) / s.std(dim=1, keepdim=True).clamp(min=1e-8)
        parts.append(s)
        mask = model.item_mask().cpu() if hasattr(model, "item_mask") else torch.ones(model.n_items, 1, dtype=torch.bool)
        masks.append(mask.all(dim=1))
    n_users, n_items = parts[0].shape
    users = torch.arange(n_users)
    relevant = split.sets(part).dense(users)
    return WeightLab(tuple(models), torch.stack(parts), torch.zeros(n_users, n_items), torch.stack(masks, dim=1),
                     split.sets(TRAIN).dense(users) & ~relevant, relevant, torch.nonzero(relevant.any(dim=1)).flatten())


def score_with_weights(weights: Sequence[float] | torch.Tensor, lab: WeightLab,
                       users: torch.Tensor | None = None) -> torch.Tensor:
    """Fused scores ``(b, n_items)`` at ``weights`` (``(M,)``, normalised here) for ``users``
    (all users when ``None``): ``Σ_m w̃_im S_m[u, i] + B[u, i]``."""
    w = renormalize(normalize_weights(weights), lab.item_mask)  # (n_items, M)
    scores = lab.scores if users is None else lab.scores[:, users]
    base = lab.base if users is None else lab.base[users]
    out = base.clone()
    for m in range(len(lab.modalities)):
        out.addcmul_(scores[m], w[:, m])
    return out


def topk_metrics(scores: torch.Tensor, relevant: torch.Tensor, exclude: torch.Tensor,
                 k: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Per-user Recall@k and NDCG@k ``(b,)`` and the top-k items ``(b, k)`` of ``(b, n_items)``
    scores, ``exclude`` masked. Same definitions as :mod:`mmrec_tutorial.metrics` (binary
    relevance), by ``torch.topk`` instead of a full sort."""
    return _hits_metrics(scores.masked_fill(exclude, float("-inf")), relevant, k)


def _hits_metrics(masked: torch.Tensor, relevant: torch.Tensor, k: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Recall@k / NDCG@k ``(b,)`` and top-k ``(b, k)`` of scores whose excluded items are already -inf."""
    k = min(k, masked.shape[1])
    top = torch.topk(masked, k, dim=1).indices
    metrics = top_list_metrics(torch.gather(relevant, 1, top).float(), relevant.sum(dim=1), k)
    return {name: metrics[name] for name in (f"recall@{k}", f"ndcg@{k}")}, top


def per_user_metrics(weights: Sequence[float] | torch.Tensor, lab: WeightLab, k: int = 20) -> dict[str, torch.Tensor]:
    """Recall@k and NDCG@k of every evaluated user (``lab.eval_users`` order), ``(n_eval,)`` each."""
    scores, base, relevant = lab._eval
    w = renormalize(normalize_weights(weights), lab.item_mask)
    fused = base.clone()
    for m in range(len(lab.modalities)):
        fused.addcmul_(scores[m], w[:, m])
    return _hits_metrics(fused, relevant, k)[0]


def group_weight_metrics(lab: WeightLab, weights_by_group: Mapping[object, Sequence[float]], groups: np.ndarray,
                         k: int = 20) -> dict[str, torch.Tensor]:
    """Per-user Recall@k and NDCG@k ``(n_eval,)`` when every evaluated user is scored at the
    weights of their group (``groups`` ``(n_eval,)``, in ``lab.eval_users`` order); users of no
    listed group get 0. With groups the model cannot see, this is an oracle, not a method."""
    out: dict[str, torch.Tensor] = {}
    for group, weights in weights_by_group.items():
        keep = torch.from_numpy(np.asarray(groups) == group)
        for name, values in per_user_metrics(weights, lab, k).items():
            out.setdefault(name, torch.zeros(len(lab.eval_users)))[keep] = values[keep]
    return out


def metrics_with_weights(weights: Sequence[float] | torch.Tensor, lab: WeightLab, k: int = 20,
                         users: torch.Tensor | None = None) -> dict[str, float]:
    """Mean Recall@k and NDCG@k over ``users`` (default: all users with test items) at ``weights``."""
    if users is None:
        return {name: float(v.mean()) for name, v in per_user_metrics(weights, lab, k).items()}
    per_user, _ = topk_metrics(score_with_weights(weights, lab, users), lab.relevant[users], lab.exclude[users], k)
    return {name: float(v.mean()) for name, v in per_user.items()}


@dataclasses.dataclass
class FusionView:
    """What the widget shows for one setting: the normalised ``weights``, one ``user``'s top-K
    (``items``, ``scores``, ``hits`` on the user's test items) and ``metrics`` over all test users."""

    weights: tuple[float, ...]
    user: int
    items: list[int]
    scores: list[float]
    hits: list[bool]
    metrics: dict[str, float]


def fusion_view(lab: WeightLab, weights: Sequence[float], user: int, k: int = 10, metric_k: int | None = None) -> FusionView:
    """Everything one widget update needs: the user's top ``k`` (training items masked) and
    Recall/NDCG@``metric_k`` (default ``k``) over all test users, at ``weights`` (on one CPU
    thread, see :func:`mmrec_tutorial.device.cpu_threads`)."""
    w = normalize_weights(weights)
    users = torch.tensor([int(user)])
    with cpu_threads(1):
        scores = score_with_weights(w, lab, users)
        _, top = topk_metrics(scores, lab.relevant[users], lab.exclude[users], k)
        items = top[0]
        metrics = metrics_with_weights(w, lab, metric_k or k)
    return FusionView(tuple(round(float(x), 6) for x in w), int(user), items.tolist(), scores[0, items].tolist(),
                      lab.relevant[int(user), items].tolist(), metrics)


def metric_surface(lab: WeightLab, grid: torch.Tensor, k: int = 20, metric: str = "ndcg",
                   users: torch.Tensor | None = None, per_user: bool = False) -> torch.Tensor:
    """``metric``@k at every row of ``grid`` ``(P, M)`` (e.g. :func:`~mmrec_tutorial.fusion.simplex_grid`):
    ``(P,)`` means over ``users`` (default: all test users), or ``(P, n_users_evaluated)`` with
    ``per_user`` (for means by user group)."""
    name = f"{metric}@{min(k, lab.n_items)}"
    rows = []
    with cpu_threads(1):
        for w in grid:
            if users is None:
                values = per_user_metrics(w, lab, k)[name]
            else:
                values = topk_metrics(score_with_weights(w, lab, users), lab.relevant[users], lab.exclude[users], k)[0][name]
            rows.append(values if per_user else values.mean())
    return torch.stack(rows)


def best_weights(grid: torch.Tensor, surface: torch.Tensor, modalities: Sequence[str],
                 groups: Sequence[str] | None = None) -> pd.DataFrame:
    """The grid point with the highest value: overall (``surface`` ``(P,)``), or per group of
    users (``surface`` ``(P, n_users)`` from ``metric_surface(per_user=True)`` and one group label
    per user). One row per group: the weights and the value."""
    if groups is None:
        values = {"all users": surface if surface.ndim == 1 else surface.mean(1)}
    else:
        labels = np.asarray(groups)
        values = {g: surface[:, torch.from_numpy(labels == g)].mean(1) for g in pd.unique(labels)}
    rows = []
    for name, v in values.items():
        best = int(torch.argmax(v))
        rows.append({"group": name, **{m: float(grid[best, j]) for j, m in enumerate(modalities)},
                     "value": float(v[best])})
    return pd.DataFrame(rows).set_index("group")


def simplex_xy(weights: torch.Tensor | np.ndarray) -> np.ndarray:
    """Barycentric ``(P, 3)`` weights -> ``(P, 2)`` points in an equilateral triangle with the
    first modality at the top, the second bottom-left and the third bottom-right."""
    w = np.asarray(weights, dtype=float).reshape(-1, 3)
    corners = np.array([[0.5, np.sqrt(3) / 2], [0.0, 0.0], [1.0, 0.0]])
    return w @ corners


def plot_simplex(grid: torch.Tensor, values: torch.Tensor, ax=None, labels: Sequence[str] = MODALITIES,
                 title: str = "", marks: dict[str, Sequence[float]] | None = None, cmap: str = "viridis",
                 vmin: float | None = None, vmax: float | None = None, cbar_label: str = ""):
    """A ternary heat map of ``values`` ``(P,)`` over the simplex ``grid`` ``(P, 3)``, with named
    ``marks`` (e.g. ``{"best": (0.4, 0.3, 0.3)}``) drawn as points. ``vmin``/``vmax`` fix the colour
    scale (give panels that are compared the same ones); ``cbar_label`` names the colour bar.
    Returns the axes."""
    import matplotlib.pyplot as plt
    import matplotlib.tri as mtri

    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.8))
    xy = simplex_xy(grid)
    tri = mtri.Triangulation(xy[:, 0], xy[:, 1])
    levels = np.linspace(vmin, vmax, 15) if vmin is not None and vmax is not None else 14
    shade = ax.tricontourf(tri, np.asarray(values, dtype=float), levels=levels, cmap=cmap)
    ax.figure.colorbar(shade, ax=ax, shrink=0.8, label=cbar_label or None)
    corners = simplex_xy(np.eye(3))
    ax.plot(*np.vstack([corners, corners[:1]]).T, color="black", lw=0.8)
    for (x, y), name, (dx, dy) in zip(corners, labels, [(0, 0.04), (-0.02, -0.07), (0.02, -0.07)]):
        ax.text(x + dx, y + dy, name, ha="center", fontsize=9)
    for (name, w), colour in zip((marks or {}).items(), ("tab:red", "white", "tab:orange", "tab:pink")):
        (x, y), = simplex_xy(np.asarray(w, dtype=float) / np.sum(w))
        ax.plot(x, y, "o", ms=7, color=colour, mec="black", mew=0.8, label=name)
    if marks:
        ax.legend(loc="upper right", fontsize=9, framealpha=0.8)
    ax.set(aspect="equal", xlim=(-0.08, 1.08), ylim=(-0.12, 0.95), title=title)
    ax.axis("off")
    return ax


# ---------------------------------------------------------------------------------------------
# Rendering (pure: strings in, strings out)
# ---------------------------------------------------------------------------------------------

def _png_data_uri(pixels: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class Thumbnails:
    """Item covers as ``data:`` URIs, read once per item and kept (``catalog`` may be ``None``)."""

    def __init__(self, catalog=None, size: int = 48) -> None:
        self.catalog, self.size, self._cache = catalog, size, {}

    def __call__(self, item: int) -> str | None:
        if item not in self._cache:
            self._cache[item] = self._load(item)
        return self._cache[item]

    def _load(self, item: int) -> str | None:
        from ..viz.items import thumbnail

        pixels = thumbnail(self.catalog, item)  # None without a catalog, an image, or a readable one
        return None if pixels is None else _png_data_uri(pixels)


def topk_html(view: FusionView, titles: Sequence[str] | None = None, thumbnail=None) -> str:
    """The top-K list as HTML: rank, cover, title, score; hits on the user's test items marked ✔."""
    cells = []
    for rank, (item, score, hit) in enumerate(zip(view.items, view.scores, view.hits), 1):
        uri = thumbnail(item) if thumbnail is not None else None
        img = (f'<img src="{uri}" width="48" height="48" style="display:block;margin:auto"/>' if uri else
               '<div style="width:48px;height:48px;margin:auto;background:#eee;font-size:9px">no image</div>')
        name = html.escape(str(titles[item]) if titles is not None else f"item {item}") or f"item {item}"
        border = "3px solid #2ca02c" if hit else "1px solid #ddd"
        cells.append(f'<div class="mmrec-item{" mmrec-hit" if hit else ""}" style="width:92px;padding:3px;'
                     f'border:{border};text-align:center;font-size:10px">{img}<div>#{rank}{" ✔" if hit else ""}</div>'
                     f'<div style="height:2.6em;overflow:hidden">{name}</div><div>{score:.2f}</div></div>')
    head = (f"<div>user {view.user}: top {len(view.items)}, ✔ = in the user's test items "
            f"({sum(view.hits)} hits)</div>")
    return head + '<div style="display:flex;flex-wrap:wrap;gap:4px">' + "".join(cells) + "</div>"


def metrics_html(view: FusionView, modalities: Sequence[str] = MODALITIES) -> str:
    """The normalised weights and the metrics over all test users, one line."""
    weights = ", ".join(f"{SLIDER_LABELS.get(m, m).split()[0]} = {w:.2f}" for m, w in zip(modalities, view.weights))
    metrics = ", ".join(f"{name} = {value:.4f}" for name, value in view.metrics.items())
    return f"<b>{html.escape(weights)}</b> &nbsp;→&nbsp; all test users: {metrics}"


def surface_svg(background_uri: str, weights: Sequence[float], size: int = 220) -> str:
    """An SVG with the metric surface image and a dot at ``weights`` (cheap to redraw)."""
    (x, y), = simplex_xy(np.asarray(weights, dtype=float))
    # the background is drawn over the same box as plot_simplex's axes limits
    px = (x + 0.08) / 1.16 * size
    py = (0.95 - y) / 1.07 * size * (1.07 / 1.16)
    height = size * 1.07 / 1.16
    return (f'<svg width="{size}" height="{height:.0f}" xmlns="http://www.w3.org/2000/svg">'
            f'<image href="{background_uri}" x="0" y="0" width="{size}" height="{height:.0f}"/>'
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="red" stroke="white" stroke-width="2"/></svg>')


def surface_background(grid: torch.Tensor, values: torch.Tensor, labels: Sequence[str] = MODALITIES,
                       size: float = 3.0) -> str:
    """The ternary heat map (no colour bar) rendered once to a PNG ``data:`` URI for :func:`surface_svg`."""
    import matplotlib.pyplot as plt
    import matplotlib.tri as mtri

    fig = plt.figure(figsize=(size, size * 1.07 / 1.16), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    xy = simplex_xy(grid)
    ax.tricontourf(mtri.Triangulation(xy[:, 0], xy[:, 1]), np.asarray(values, dtype=float), levels=14, cmap="viridis")
    corners = simplex_xy(np.eye(3))
    ax.plot(*np.vstack([corners, corners[:1]]).T, color="black", lw=0.8)
    for (x, y), name, (dx, dy) in zip(corners, labels, [(0, 0.03), (0.06, -0.06), (-0.06, -0.06)]):
        ax.text(x + dx, y + dy, name, ha="center", fontsize=9)
    ax.set(xlim=(-0.08, 1.08), ylim=(-0.12, 0.95))
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# ---------------------------------------------------------------------------------------------
# Widget shell
# ---------------------------------------------------------------------------------------------

class FusionWeightsWidget:
    """Sliders for α, β, γ (descriptions ``"α (text)"``, ``"β (image)"``, ``"γ (audio)"``), a user
    picker and K; every change calls :func:`fusion_view` and re-renders the top-K list (CSS class
    ``mmrec-topk``), the metric readout (``mmrec-metrics``) and the dot on the metric surface
    (``mmrec-surface``). Display ``widget.box``; ``widget.view`` is the last :class:`FusionView`.
    """

    def __init__(self, lab: WeightLab, catalog=None, users: Sequence[int] | None = None,
                 weights: Sequence[float] | None = None, k: int = 10, metric_k: int | None = None,
                 surface: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        import ipywidgets as W

        self.lab, self.metric_k = lab, metric_k
        self.titles = None if catalog is None else [t or i for t, i in zip(catalog.items["title"], catalog.items["item_id"])]
        self.thumbnail = Thumbnails(catalog)
        users = list(lab.eval_users[:200].tolist()) if users is None else [int(u) for u in users]
        start = normalize_weights(weights if weights is not None else [1.0] * len(lab.modalities)).tolist()
        self.sliders = [W.FloatSlider(value=round(w, 2), min=0.0, max=1.0, step=0.05, description=SLIDER_LABELS.get(m, m),
                                      readout_format=".2f", continuous_update=True)
                        for m, w in zip(lab.modalities, start)]
        names = None if catalog is None else list(catalog.users["user_id"]) if "user_id" in catalog.users else None
        self.user = W.Dropdown(options=[(names[u] if names else f"user {u}", u) for u in users], value=users[0],
                               description="user")
        self.k = W.IntSlider(value=k, min=1, max=30, step=1, description="K", continuous_update=True)
        self.topk, self.metrics, self.surface = W.HTML(), W.HTML(), W.HTML()
        self.topk.add_class("mmrec-topk")
        self.metrics.add_class("mmrec-metrics")
        self.surface.add_class("mmrec-surface")
        self._background = surface_background(*surface, labels=lab.modalities) if surface is not None else None
        self._muted = False
        for control in (*self.sliders, self.user, self.k):
            control.observe(self._on_change, names="value")
        self.view: FusionView | None = None
        controls = W.VBox([*self.sliders, self.user, self.k])
        self.box = W.VBox([W.HBox([controls, self.surface]), self.metrics, self.topk])
        self.update()

    def weights(self) -> list[float]:
        """The slider values (all zero counts as equal weights)."""
        values = [float(s.value) for s in self.sliders]
        return values if sum(values) > 0 else [1.0] * len(values)

    def _on_change(self, change=None) -> None:
        if not self._muted:
            self.update()

    def set(self, weights: Sequence[float] | None = None, user: int | None = None, k: int | None = None) -> FusionView:
        """Move several controls at once (one update, not one per control) and return the view."""
        self._muted = True
        try:
            for slider, w in zip(self.sliders, weights if weights is not None else []):
                slider.value = float(w)
            if user is not None:
                self.user.value = int(user)
            if k is not None:
                self.k.value = int(k)
        finally:
            self._muted = False
        return self.update()

    def update(self) -> FusionView:
        """Recompute with :func:`fusion_view` and re-render (what every control change calls)."""
        view = fusion_view(self.lab, self.weights(), int(self.user.value), int(self.k.value), self.metric_k)
        self.view = view
        self.metrics.value = metrics_html(view, self.lab.modalities)
        self.topk.value = topk_html(view, self.titles, self.thumbnail)
        if self._background is not None:
            self.surface.value = surface_svg(self._background, view.weights)
        return view


def fusion_widget(lab: WeightLab, catalog=None, **kwargs):
    """Build a :class:`FusionWeightsWidget` and return its displayable box (kwargs go to the class)."""
    return FusionWeightsWidget(lab, catalog, **kwargs).box
