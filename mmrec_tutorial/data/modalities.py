"""The modalities an item of a catalog can carry, named once for the whole package."""

from __future__ import annotations

#: The raw-media modalities of a catalog, in the order of the fusion weights α, β, γ
#: (z = α·h_text + β·h_img + γ·h_audio). Real datasets may bring other, precomputed ones.
MODALITIES: tuple[str, ...] = ("text", "image", "audio")
