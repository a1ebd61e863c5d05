"""Figures about embeddings: encoder pipelines, 2-D projections coloured by a trait, probe
heatmaps, nearest-neighbour galleries and the log-mel front end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..data.catalog import Catalog
from ..encoders.probes import nearest_neighbours
from .items import plot_heatmap, show_items, wrap_title

__all__ = ["neighbour_gallery", "plot_encoder_pipelines", "plot_log_mel", "plot_probe_table", "plot_projections",
           "principal_components", "project_2d"]


def project_2d(features: torch.Tensor, mask: torch.Tensor | None = None, method: str = "pca",
               seed: int = 0) -> np.ndarray:
    """``(n, d)`` -> ``(n_present, 2)`` coordinates of the rows with ``mask`` True.

    Features are standardised per column first. ``"pca"``: the two leading principal components
    (:func:`principal_components`: signs fixed so that the largest score is positive, so the same
    input always gives the same picture). ``"tsne"``: t-SNE (perplexity 30, PCA start, seeded) on
    the 50 leading components.
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    x = features.detach().cpu().double()
    if mask is not None:
        x = x[mask.detach().cpu().bool()]
    x = (x - x.mean(0)) / x.std(0, unbiased=False).clamp(min=1e-8)
    coords = principal_components(x.numpy(), 2 if method == "pca" else 50)
    if method == "pca":
        return coords
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    perplexity = min(30.0, (len(coords) - 1) / 3)
    # one thread: on a busy 2-core machine t-SNE of 600 points took 70 s with the default
    # thread pool (threads waiting for each other) and 2.6 s with one
    with threadpool_limits(1):
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(coords)


def principal_components(x: np.ndarray, k: int) -> np.ndarray:
    """Scores ``(n, min(k, n, d))`` of ``x`` ``(n, d)`` on its ``k`` leading principal axes.

    scikit-learn's exact PCA (it centres ``x``; the scores are ``U S`` of the centred matrix),
    in float64 on one BLAS thread. An SVD fixes each axis only up to its sign, so each column is
    flipped to make its largest-magnitude score positive: the same points always give the same
    picture (but a picture may be the mirror image of one drawn by another PCA routine).
    """
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_limits

    x = np.asarray(x, dtype=np.float64)
    k = min(k, *x.shape)
    with threadpool_limits(1):
        scores = PCA(n_components=k, svd_solver="full").fit_transform(x)
    signs = np.sign(scores[np.abs(scores).argmax(axis=0), np.arange(k)])
    return scores * np.where(signs == 0, 1.0, signs)


def plot_projections(embeddings: Mapping[str, torch.Tensor], traits: pd.DataFrame,
                     masks: Mapping[str, torch.Tensor] | None = None, method: str = "pca", seed: int = 0,
                     size: float = 2.6):
    """A grid of 2-D projections: one row per embedding, one column per trait of ``traits``
    (``n`` rows, item order of the embeddings), points coloured by the trait's value."""
    names, cols = list(embeddings), list(traits.columns)
    fig, axes = plt.subplots(len(names), len(cols), figsize=(size * len(cols) + 1.6, size * len(names)),
                             squeeze=False)
    palette = plt.get_cmap("tab10")
    for r, name in enumerate(names):
        mask = (masks or {}).get(name)
        keep = np.ones(len(traits), bool) if mask is None else mask.detach().cpu().numpy().astype(bool)
        xy = project_2d(embeddings[name], mask, method, seed)
        for c, trait in enumerate(cols):
            ax = axes[r, c]
            values = traits[trait].to_numpy()[keep]
            for k, value in enumerate(sorted(pd.unique(traits[trait]), key=str)):
                sel = values == value
                ax.scatter(xy[sel, 0], xy[sel, 1], s=6, color=palette(k % 10), label=str(value), alpha=0.8)
            ax.set_xticks([]), ax.set_yticks([])
            if r == 0:
                ax.set_title(f"coloured by {trait}", fontsize=9)
            if c == 0:
                ax.set_ylabel(name, fontsize=9)
            if r == len(names) - 1:
                ax.legend(fontsize=9, markerscale=1.5, loc="upper center", bbox_to_anchor=(0.5, -0.04),
                          ncol=2, frameon=False)
    fig.suptitle(f"{method.upper()} of each embedding", fontsize=10)
    fig.tight_layout()
    return fig


def plot_probe_table(table: pd.DataFrame, chance: float | None = None, ax=None):
    """Heatmap of a probe table (rows embeddings, columns traits, values accuracies in [0, 1])."""
    title = "linear probe accuracy (5-fold CV)"
    if chance is not None:
        title += f", chance ≈ {chance:.2f}"
    return plot_heatmap(table, title, ax=ax, cbar_label="probe accuracy")


def neighbour_gallery(catalog: Catalog, embeddings: Mapping[str, torch.Tensor], query: int, traits: pd.DataFrame,
                      own_trait: Mapping[str, str], masks: Mapping[str, torch.Tensor] | None = None, k: int = 5):
    """One gallery row per embedding: the query item, then its ``k`` nearest neighbours in that
    embedding (cosine, centred). Each title shows the trait the embedding should know
    (``own_trait[name]``); a green frame marks neighbours that share it with the query. The
    ``audio`` row shows each clip's spectrogram instead of its cover: what the audio space compares."""
    idx, titles, marks, media = [], [], [], []
    for name, feats in embeddings.items():
        trait = own_trait[name]
        values = traits[trait].to_numpy()
        neighbours = nearest_neighbours(feats, query, k, (masks or {}).get(name))
        idx += [query] + neighbours
        titles += [f"[{name}] query · {values[query]}"]
        titles += [f"{wrap_title(catalog.items.at[i, 'title'], 18, max_lines=1)} · {values[i]}" for i in neighbours]
        marks += [False] + [values[i] == values[query] for i in neighbours]
        media += ["audio" if name == "audio" else "image"] * (k + 1)
    return show_items(catalog, idx, titles, marks, ncols=k + 1, size=1.5, media=media)


def plot_encoder_pipelines(pipelines: Mapping[str, Sequence[tuple[str, str]]], width: float = 13.0):
    """A diagram: one row per encoder, boxes ``(step, shape)`` joined by arrows."""
    rows = list(pipelines.items())
    fig, ax = plt.subplots(figsize=(width, 1.15 * len(rows) + 0.3))
    ax.set_xlim(0, 1), ax.set_ylim(0, len(rows)), ax.axis("off")
    colours = plt.get_cmap("Pastel1")
    for r, (name, steps) in enumerate(rows):
        y = len(rows) - r - 0.5
        ax.text(0.0, y, name, ha="left", va="center", fontsize=10, fontweight="bold")
        x0, span = 0.09, 0.91
        w = span / len(steps)
        for s, (step, shape) in enumerate(steps):
            cx = x0 + (s + 0.5) * w
            ax.text(cx, y, f"{step}\n{shape}", ha="center", va="center", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.35", "fc": colours(r % 9), "ec": "gray"})
            if s:
                ax.annotate("", xy=(cx - 0.36 * w, y), xytext=(cx - 0.64 * w, y),
                            arrowprops={"arrowstyle": "->", "color": "gray"})
    fig.tight_layout()
    return fig


def plot_log_mel(wave: torch.Tensor, frontend, title: str = ""):
    """Three panels for one clip ``(samples,)``: the waveform, the mel filterbank of ``frontend``
    (a :class:`~mmrec_tutorial.encoders.LogMelSpectrogram`) and the log-mel spectrogram it makes."""
    sr = frontend.sample_rate
    log_mel = frontend(wave[None].float())[0].detach().cpu().numpy()  # (n_mels, frames)
    fb = frontend.fb.detach().cpu().numpy()  # (n_freqs, n_mels)
    fig, axes = plt.subplots(1, 3, figsize=(13, 2.8), gridspec_kw={"width_ratios": [1.2, 1, 1.2]})
    t = np.arange(len(wave)) / sr
    axes[0].plot(t, wave.cpu().numpy(), lw=0.5)
    axes[0].set_xlabel("seconds"), axes[0].set_title(f"waveform {title}".strip(), fontsize=9)
    freqs = np.linspace(0, sr / 2, fb.shape[0])
    axes[1].plot(freqs, fb, lw=0.7)
    axes[1].set_xlabel("Hz"), axes[1].set_title(f"{fb.shape[1]} triangular mel filters", fontsize=9)
    hop = frontend.hop_length / sr
    axes[2].imshow(log_mel, origin="lower", aspect="auto", cmap="magma",
                   extent=(0, log_mel.shape[1] * hop, 0, log_mel.shape[0]))
    axes[2].set_xlabel("seconds"), axes[2].set_ylabel("mel band")
    axes[2].set_title(f"log-mel spectrogram {log_mel.shape[0]}×{log_mel.shape[1]}", fontsize=9)
    fig.tight_layout()
    return fig
