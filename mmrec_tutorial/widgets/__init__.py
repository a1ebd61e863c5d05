"""ipywidgets front ends over pure functions: every number a slider shows comes from a plain
function that the tests call directly.

- :mod:`.fusion`: the α/β/γ fusion-weight widget of notebook 03 (early and late fusion);
- :mod:`.crossmodal`: the δ-mix widget of notebook 04.
"""
