"""mmrec_tutorial: the helper package of the multimodal-fusion recommender course.

The notebooks in ``notebooks/`` teach; this package holds the code they reuse:
``device`` (device choice, seeding), ``data`` (sample catalog, loading, cleaning, splits),
``encoders`` (text, image, audio), ``fusion``, ``crossmodal``, ``models``, ``train``,
``metrics``, ``viz`` and ``widgets``.
"""

__version__ = "0.1.0"
