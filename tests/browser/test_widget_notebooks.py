"""The course's widget notebooks in a real JupyterLab: moving a slider refreshes what the learner sees.

Notebook 03 (α/β/γ fusion weights) and notebook 04 (the δ-mix) are run top to bottom in the
browser; then a slider is moved with the keyboard, and the rendered top-K list and the metric
readout must both change within a second. Screenshots before and after are kept in
``test-artifacts/browser/`` (the README shows the fusion one).
"""

from __future__ import annotations

import pytest
from labdriver import (move_slider, run_notebook_in_lab, screenshot, text_of, wait_for_text_change,
                       widget_by_class)

pytestmark = pytest.mark.browser

CASES = [
    ("notebooks/03_fusion.ipynb", "α (text)", "fusion"),
    ("notebooks/04_cross_modal_learning.ipynb", "δ", "delta"),
]


@pytest.mark.parametrize("notebook,slider_label,name", CASES, ids=[c[2] for c in CASES])
def test_slider_refreshes_top_k_and_metrics(page, lab, notebook, slider_label, name):
    run_notebook_in_lab(page, lab, notebook, timeout=600)
    topk = widget_by_class(page, "mmrec-topk").last
    metrics = widget_by_class(page, "mmrec-metrics").last
    topk.scroll_into_view_if_needed()
    before_topk, before_metrics = text_of(page, topk), text_of(page, metrics)
    assert before_topk.strip() and before_metrics.strip(), "the widget rendered no data"
    screenshot(page, f"{name}_before")
    # Big moves so that the ranking surely changes: α from its start towards 1, δ towards 0.
    move_slider(page, slider_label, steps=+12 if name == "fusion" else -12)
    after_topk, seconds_topk = wait_for_text_change(page, topk, before_topk, timeout=1.0)
    after_metrics, seconds_metrics = wait_for_text_change(page, metrics, before_metrics, timeout=1.0)
    assert after_topk != before_topk and after_metrics != before_metrics
    assert seconds_topk < 1.0 and seconds_metrics < 1.0
    topk.scroll_into_view_if_needed()
    screenshot(page, f"{name}_after")
