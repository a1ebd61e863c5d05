"""Matplotlib figures the notebooks share: item galleries, audio plots, data statistics; and the
helpers every gallery needs, :func:`thumbnail` (an item's cover as pixels),
:func:`spectrogram_thumbnail` (its audio preview as a picture) and :func:`wrap_title` (a title cut
to fit under it)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..data.catalog import Catalog
from ..data.media import read_image, read_wav
from ..data.modalities import MODALITIES

__all__ = ["plot_audio", "plot_bars_with_ci", "plot_heatmap", "plot_interaction_stats", "plot_paired_differences",
           "show_items", "spectrogram_thumbnail", "thumbnail", "wrap_title"]


def thumbnail(source: Catalog | str | Path | None, item: int | str | Path | None,
              size: int | None = None) -> np.ndarray | None:
    """An item's cover as uint8 RGB pixels ``(h, w, 3)``, or ``None`` when there is none to show
    (no image, a missing file, or one that cannot be decoded: never an exception).

    ``source`` is a :class:`~mmrec_tutorial.data.catalog.Catalog` or the folder its media paths
    are relative to (``None``: nothing to show). ``item`` is an item index (``int``, a row of
    ``catalog.items``; needs a catalog) or an image path (``str``/``Path``, relative to the
    catalog's root or to the folder, or absolute). ``size``: shrink (never enlarge) so that the
    longer side is at most ``size`` pixels, keeping the aspect ratio; ``None`` keeps the file's size.
    """
    if source is None or item is None:
        return None
    root = source.root if isinstance(source, Catalog) else Path(source)
    if isinstance(item, (int, np.integer)):
        if not isinstance(source, Catalog):
            raise TypeError("an item index needs a Catalog; pass an image path to read from a folder")
        item = source.items.at[int(item), "image"]
    if item is None or (isinstance(item, float) and math.isnan(item)) or not str(item).strip():
        return None
    path = Path(item) if Path(item).is_absolute() else root / str(item)
    if not path.is_file():
        return None
    try:
        pixels = read_image(path)
    except ValueError:
        return None
    if size is not None and max(pixels.shape[:2]) > size:
        from PIL import Image

        img = Image.fromarray(pixels)
        img.thumbnail((size, size))
        pixels = np.asarray(img)
    return pixels


def spectrogram_thumbnail(catalog: Catalog, item: int, nperseg: int = 256) -> np.ndarray | None:
    """Item ``item``'s audio preview as a log-power spectrogram ``(frequencies, frames)`` in dB
    (STFT windows of ``nperseg`` samples, 3/4 overlap), or ``None`` when it has no readable clip.

    Two clips that sound alike (the same mood, tempo, timbre) look alike here, which is what a
    gallery of audio neighbours needs to show.
    """
    from scipy.signal import spectrogram  # noqa: PLC0415

    path = catalog.items.at[int(item), "audio"] if "audio" in catalog.items.columns else None
    if path is None or (isinstance(path, float) and math.isnan(path)) or not str(path).strip():
        return None
    try:
        samples, rate = read_wav(catalog.root / str(path))
    except (OSError, ValueError):
        return None
    if len(samples) < nperseg:
        return None
    _, _, power = spectrogram(np.asarray(samples, dtype=np.float64), fs=rate, nperseg=nperseg,
                              noverlap=3 * nperseg // 4)
    return 10 * np.log10(power + 1e-10)


def wrap_title(text: object, width: int = 18, max_lines: int = 2, empty: str = "(no title)") -> str:
    """``text`` wrapped at word boundaries into at most ``max_lines`` lines of at most ``width``
    characters, joined by newlines (words that do not fit any more are dropped; a single word
    longer than ``width`` is cut). ``None``, NaN and blank text give ``empty``.

    ``max_lines=1`` gives the one-line short form of a title, e.g. for ``f"{title} · {trait}"``.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return empty
    lines: list[str] = []
    line = ""
    for word in str(text).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            if len(lines) == max_lines:
                return "\n".join(lines)
            line = ""
        line = f"{line} {word}" if line else word[:width]
    lines.append(line)
    return "\n".join(lines[:max_lines])


def show_items(catalog: Catalog, item_idx: Sequence[int], titles: Sequence[str] | None = None,
               marks: Sequence[bool] | None = None, ncols: int = 8, size: float = 1.6, ax_title: str | None = None,
               title_width: int = 18, media: str | Sequence[str] = "image"):
    """A gallery of item covers with their titles (wrapped at ``title_width`` characters, two lines);
    ``marks[k]`` draws a green frame (e.g. a hit). ``media``: ``"image"`` (covers) or ``"audio"``
    (:func:`spectrogram_thumbnail` of the preview), for all tiles or one per tile."""
    n = len(item_idx)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.25), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    kinds = [media] * n if isinstance(media, str) else list(media)
    if len(kinds) != n or not set(kinds) <= {"image", "audio"}:
        raise ValueError(f"media must be 'image', 'audio' or one of them per item ({n}), got {media!r}")
    for k, idx in enumerate(item_idx):
        ax = axes.flat[k]
        if kinds[k] == "audio":
            img = spectrogram_thumbnail(catalog, int(idx))
            if img is not None:
                ax.imshow(img, origin="lower", aspect="auto", cmap="magma")
        else:
            img = thumbnail(catalog, int(idx))
            if img is not None:
                ax.imshow(img)
        if img is None:
            ax.text(0.5, 0.5, f"no {kinds[k]}", ha="center", va="center", fontsize=9, color="gray")
            ax.set_xlim(0, 1), ax.set_ylim(0, 1)
        label = titles[k] if titles is not None else catalog.items.at[int(idx), "title"] or catalog.items.at[int(idx), "item_id"]
        ax.set_title(wrap_title(label, title_width), fontsize=9)
        if marks is not None and marks[k]:
            ax.axis("on"), ax.set_xticks([]), ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_edgecolor("tab:green"), spine.set_linewidth(3)
    if ax_title:
        fig.suptitle(ax_title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_audio(path, title: str = "", ax_wave=None, ax_spec=None):
    """Waveform and spectrogram (STFT, log power) of one WAV file, side by side."""
    samples, rate = read_wav(path)
    if ax_wave is None or ax_spec is None:
        fig, (ax_wave, ax_spec) = plt.subplots(1, 2, figsize=(10, 2.6))
    else:
        fig = ax_wave.figure
    t = np.arange(len(samples)) / rate
    ax_wave.plot(t, samples, lw=0.5)
    ax_wave.set(xlabel="time (s)", ylabel="amplitude", title=f"{title} waveform ({rate} Hz)")
    ax_spec.specgram(samples, NFFT=256, Fs=rate, noverlap=192, cmap="magma")
    ax_spec.set(xlabel="time (s)", ylabel="frequency (Hz)", title=f"{title} spectrogram")
    fig.tight_layout()
    return fig


def plot_interaction_stats(catalog: Catalog):
    """Three panels: item popularity long tail, interactions per user, modality coverage."""
    inter = catalog.interactions
    item_counts = np.bincount(inter["item_idx"], minlength=catalog.n_items)
    user_counts = np.bincount(inter["user_idx"], minlength=catalog.n_users)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    ranked = np.sort(item_counts)[::-1]
    axes[0].plot(np.arange(1, len(ranked) + 1), ranked)
    axes[0].set(xscale="log", yscale="symlog", ylim=(0, None), xlabel="item rank by popularity", ylabel="interactions",
                title=f"long tail: top 10% items = {ranked[: len(ranked) // 10].sum() / ranked.sum():.0%} of interactions")
    axes[1].hist(user_counts, bins=40, color="tab:orange")
    axes[1].set(xlabel="interactions per user", ylabel="users", title=f"per user: median {int(np.median(user_counts))}")
    cover = pd.Series({m: float(catalog.items[f"has_{m}"].mean()) for m in MODALITIES})
    bars = axes[2].bar(cover.index, cover.values, color=["tab:blue", "tab:green", "tab:purple"])
    axes[2].bar_label(bars, labels=[f"{v:.1%}" for v in cover.values])
    axes[2].set(ylim=(0, 1.1), ylabel="share of items", title="modality coverage")
    fig.tight_layout()
    return fig


def plot_bars_with_ci(frame: pd.DataFrame, metric: str, lo: str | None = None, hi: str | None = None, ax=None):
    """Horizontal bars of ``frame[metric]`` per row, with optional interval columns."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.35 * len(frame) + 1))
    err = None
    if lo and hi:
        err = np.vstack([frame[metric] - frame[lo], frame[hi] - frame[metric]])
    ax.barh(frame.index.astype(str), frame[metric], xerr=err, color="tab:blue", alpha=0.8, capsize=3)
    ax.invert_yaxis()
    ax.set_xlabel(metric)
    return ax.figure


def plot_paired_differences(frame: pd.DataFrame, metric: str = "", mean: str = "mean", lo: str = "lo",
                            hi: str = "hi", ax=None):
    """A forest plot of paired differences: one row per comparison, its mean and interval, and a
    zero line. Rows whose interval lies clear of zero are drawn dark (green above, red below), the
    others grey: the plot says at a glance which differences the data can tell from none."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.35 * len(frame) + 1.1))
    y = np.arange(len(frame))
    colours = ["tab:green" if l > 0 else "tab:red" if h < 0 else "0.55" for l, h in zip(frame[lo], frame[hi])]
    err = np.vstack([frame[mean] - frame[lo], frame[hi] - frame[mean]])
    for row, colour in enumerate(colours):
        ax.errorbar(frame[mean].iloc[row], y[row], xerr=err[:, row:row + 1], fmt="o", color=colour, capsize=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, frame.index.astype(str))
    ax.invert_yaxis()
    ax.set_xlabel(f"paired difference{' in ' + metric if metric else ''} (95% bootstrap interval over users)")
    ax.figure.tight_layout()
    return ax.figure


def plot_heatmap(table: pd.DataFrame, title: str = "", ax=None, vmin: float = 0.0, vmax: float = 1.0,
                 fmt: str = "{:.2f}", cbar_label: str = ""):
    """Annotated heatmap of a numeric table (rows and columns labelled by its index and columns;
    ``cbar_label`` names the colour bar)."""
    values = table.to_numpy(dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * values.shape[1] + 2.4, 0.45 * values.shape[0] + 1.2))
    im = ax.imshow(values, vmin=vmin, vmax=vmax, cmap="viridis", aspect="auto")
    ax.set_xticks(range(values.shape[1]), table.columns)
    ax.set_yticks(range(values.shape[0]), table.index)
    middle = vmin + 0.6 * (vmax - vmin)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize=9,
                    color="black" if values[i, j] > middle else "white")
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, fraction=0.04, label=cbar_label or None)
    ax.figure.tight_layout()
    return ax.figure
