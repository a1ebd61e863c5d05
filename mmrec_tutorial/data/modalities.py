"""The modalities an item of a catalog can carry, named once for the whole package, and the one
way an item's text is built from its title and description."""

from __future__ import annotations

import math
from typing import Any

#: The raw-media modalities of a catalog, in the order of the fusion weights α, β, γ
#: (z = α·h_text + β·h_img + γ·h_audio). Real datasets may bring other, precomputed ones.
MODALITIES: tuple[str, ...] = ("text", "image", "audio")


def clean_text(text: Any) -> str | None:
    """Strip a text; ``None``, NaN and blank strings become ``None`` (no text)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    text = str(text).strip()
    return text or None


def item_text(title: Any, description: Any) -> str | None:
    """The one text of an item, what the text encoder reads and the catalog shows:
    ``"<title>. <description>"`` (no extra full stop after a title that ends a sentence), either
    part alone when the other is missing, ``None`` when both are."""
    parts = [p for p in (clean_text(title), clean_text(description)) if p]
    if len(parts) == 2 and not parts[0].endswith((".", "!", "?")):
        return f"{parts[0]}. {parts[1]}"
    return " ".join(parts) or None
