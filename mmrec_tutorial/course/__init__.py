"""Running and recording the course notebooks (not a stage of the story).

- :mod:`.runner`: execute notebooks headless with papermill and summarise the runs;
- :mod:`.records`: ``record(name, value)`` inside a notebook, ``read_records`` afterwards;
- :mod:`.environment`: package versions and the offline pretrained weights (notebook 00);
- :mod:`.template`: the standard header of a new notebook (title, Colab badge, parameters).
"""
