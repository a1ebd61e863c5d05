"""Figures of the course: what a reader is meant to see is what the figure draws."""

from __future__ import annotations


def test_forest_plot_marks_which_intervals_clear_zero():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from mmrec_tutorial import viz

    frame = pd.DataFrame({"mean": [0.03, -0.01, 0.002], "lo": [0.01, -0.02, -0.004], "hi": [0.05, -0.001, 0.008]},
                         index=["ahead", "behind", "tie"])
    fig = viz.plot_paired_differences(frame, "NDCG@20")
    ax = fig.axes[0]
    colours = [line.get_color() for line in ax.lines if line.get_marker() == "o"]
    assert colours == ["tab:green", "tab:red", "0.55"]
    assert any(line.get_xdata()[0] == 0 for line in ax.lines if line.get_marker() != "o")  # the zero line
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ahead", "behind", "tie"]


def test_audio_tiles_show_each_clips_spectrogram():
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    import pytest

    from mmrec_tutorial import viz
    from mmrec_tutorial.data import load_sample
    from mmrec_tutorial.data.media import read_wav

    catalog, _ = load_sample()
    items = catalog.items
    with_audio = int(np.flatnonzero(items["audio"].notna().to_numpy())[0])
    without = int(np.flatnonzero(items["audio"].isna().to_numpy())[0])
    spec = viz.spectrogram_thumbnail(catalog, with_audio)
    samples, rate = read_wav(catalog.root / items.at[with_audio, "audio"])
    assert spec.shape == (129, (len(samples) - 256) // 64 + 1)  # 256-sample windows, hop 64
    assert viz.spectrogram_thumbnail(catalog, without) is None
    fig = viz.show_items(catalog, [with_audio, without, with_audio], media=["audio", "audio", "image"])
    drawn = [ax.images[0].get_array().shape if ax.images else None for ax in fig.axes[:3]]
    assert drawn[0] == spec.shape and drawn[1] is None and len(drawn[2]) == 3  # spectrogram, "no audio", cover
    assert fig.axes[1].texts[0].get_text() == "no audio"
    with pytest.raises(ValueError, match="media"):
        viz.show_items(catalog, [with_audio], media=["sound"])
