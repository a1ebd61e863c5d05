"""Matplotlib figures of the course.

- :mod:`.items`: items with their covers and titles, audio, interaction statistics, bar charts
  with intervals, forest plots of paired differences, heatmaps (``from mmrec_tutorial import viz;
  viz.show_items(...)``), and the gallery helpers ``thumbnail`` (an item's cover as pixels),
  ``spectrogram_thumbnail`` (its audio preview as a picture) and ``wrap_title``;
- :mod:`.embeddings`: 2-D projections (``principal_components``: the PCA of every figure), probe
  tables, neighbour galleries, encoder pipelines;
- :mod:`.crossmodal`: similarity matrices, paired embeddings, attention maps, the δ sweep.
"""

from .items import (plot_audio, plot_bars_with_ci, plot_heatmap, plot_interaction_stats, plot_paired_differences,
                    show_items, spectrogram_thumbnail, thumbnail, wrap_title)

__all__ = ["plot_audio", "plot_bars_with_ci", "plot_heatmap", "plot_interaction_stats", "plot_paired_differences",
           "show_items", "spectrogram_thumbnail", "thumbnail", "wrap_title"]
