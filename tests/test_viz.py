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
