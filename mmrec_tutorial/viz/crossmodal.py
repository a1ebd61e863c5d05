"""Figures of notebook 04: similarity matrices, paired embeddings, attention maps, the δ sweep."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..crossmodal.contrastive import similarity_matrix
from .embeddings import principal_components

__all__ = ["plot_similarity_matrices", "plot_paired_embeddings", "plot_attention", "plot_delta_sweep"]


def plot_similarity_matrices(pairs: dict[str, tuple[torch.Tensor, torch.Tensor]], labels: Sequence[str] | None = None,
                             a_name: str = "text", b_name: str = "image"):
    """One heatmap per entry of ``pairs`` (title -> (a ``(n, d)``, b ``(n, d)``)): cosine similarity of
    item ``v``'s ``a`` vector (rows) with item ``v′``'s ``b`` vector (columns). Aligned pairs light up
    the diagonal. ``labels``: ``n`` tick labels (e.g. a trait). All panels share one colour scale,
    symmetric around 0 and as wide as the largest absolute similarity shown."""
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.6 * len(pairs), 4.2), squeeze=False)
    sims = {title: similarity_matrix(a.float(), b.float()).numpy() for title, (a, b) in pairs.items()}
    vmax = max(float(np.abs(sim).max()) for sim in sims.values())
    for ax, (title, sim) in zip(axes[0], sims.items()):
        im = ax.imshow(sim, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(title)
        ax.set_xlabel(f"{b_name} of item v′")
        ax.set_ylabel(f"{a_name} of item v")
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=9)
            ax.set_yticks(range(len(labels)), labels, fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="cosine similarity")
    fig.tight_layout()
    return fig


def plot_paired_embeddings(views: dict[str, tuple[torch.Tensor, torch.Tensor]], groups: Sequence[str],
                           a_name: str = "text", b_name: str = "image"):
    """For each entry (title -> (a ``(n, d)``, b ``(n, d)``)), the ``2n`` L2-normalised vectors in one
    2-D PCA (:func:`~mmrec_tutorial.viz.embeddings.principal_components`): circles for ``a``, squares
    for ``b``, a line joining the two views of an item, colour by ``groups`` (e.g. the item's
    style). Aligned views sit close to each other."""
    fig, axes = plt.subplots(1, len(views), figsize=(5.2 * len(views), 4.6), squeeze=False)
    names = sorted(set(groups))
    colors = {g: plt.get_cmap("tab10")(k % 10) for k, g in enumerate(names)}
    for ax, (title, (a, b)) in zip(axes[0], views.items()):
        both = torch.nn.functional.normalize(torch.cat([a, b]).float(), dim=1).numpy()
        xy = principal_components(both, 2)
        n = len(a)
        for i in range(n):
            ax.plot([xy[i, 0], xy[n + i, 0]], [xy[i, 1], xy[n + i, 1]], color=colors[groups[i]], alpha=0.35, lw=0.8)
        for g in names:
            idx = np.array([i for i in range(n) if groups[i] == g])
            ax.scatter(xy[idx, 0], xy[idx, 1], color=colors[g], marker="o", s=22, label=g)
            ax.scatter(xy[n + idx, 0], xy[n + idx, 1], color=colors[g], marker="s", s=22, edgecolor="k", lw=0.4)
        ax.set_title(f"{title}\n(○ {a_name}, □ {b_name}, line = same item)")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, -1].legend(fontsize=9, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def plot_attention(user_to_item: np.ndarray, item_to_user: np.ndarray, history_labels: Sequence[str],
                   modalities: Sequence[str], title: str = ""):
    """Both attention maps of one (user, candidate) pair, rows = history items, columns = the
    candidate's modalities: left ω^{u→v} (each row sums to 1: which modality each past item looks at),
    right ω^{v→u} (each column sums to 1: which past items each modality recalls). Padding rows are dropped."""
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 0.32 * len(history_labels) + 1.6), sharey=True)
    vmax = float(max(np.max(user_to_item), np.max(item_to_user)))  # one colour scale for both maps
    for ax, data, name in ((axes[0], user_to_item, "user → item  ω (rows sum to 1)"),
                           (axes[1], item_to_user, "item → user  ω (columns sum to 1)")):
        im = ax.imshow(data, cmap="viridis", vmin=0, vmax=vmax, aspect="auto")
        ax.set_xticks(range(len(modalities)), modalities)
        ax.set_title(name, fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02, label="attention weight ω")
    axes[0].set_yticks(range(len(history_labels)), history_labels, fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_delta_sweep(sweep: pd.DataFrame, trained_delta: float, metrics: Sequence[str] = ("recall@20", "ndcg@20"),
                     ax=None):
    """Metrics against δ (one line per metric) with the trained δ marked."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.4))
    for m in metrics:
        ax.plot(sweep["delta"], sweep[m], marker="o", ms=3, label=m)
    ax.axvline(trained_delta, color="gray", ls="--", lw=1, label=f"trained δ = {trained_delta:.2f}")
    ax.set_xlabel("δ  (1 = z_u only, 0 = c_uv only)")
    ax.set_ylabel("test metric")
    ax.legend(fontsize=9)
    return ax
