"""mmrec_tutorial: the helper package of the multimodal-fusion recommender course.

The notebooks in ``notebooks/`` teach; this package holds the code they reuse. Every top-level
name is a stage of the story, in the order the data flows:
``device`` (device choice, seeding, CPU threads), ``data`` (catalogs and real datasets, cleaning,
splits), ``encoders`` (text, image, audio; probes), ``fusion``, ``crossmodal``, ``models``,
``train``, ``metrics`` and ``evaluation`` (the one door to comparing models). Front ends have
packages of their own (``viz``, ``widgets``), and so does running the course (``course``);
``cli`` is the ``mmrec-tutorial`` command.
"""

__version__ = "0.1.0"
