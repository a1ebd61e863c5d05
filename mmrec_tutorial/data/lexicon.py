"""Word lists, palettes and sound recipes behind the synthetic catalog's three latent traits.

Each item has a *genre* (told mostly by its text), a *style* (told mostly by its cover image)
and a *mood* (told mostly by its audio preview). These tables say how each trait shows.
"""

from __future__ import annotations

GENRES: tuple[str, ...] = ("space", "romance", "crime", "comedy", "history", "nature")
STYLES: tuple[str, ...] = ("sunset-stripes", "ocean-waves", "forest-dots", "neon-grid",
                           "pastel-rings", "mono-diagonal")
MOODS: tuple[str, ...] = ("calm", "melancholy", "upbeat", "tense", "dreamy", "dark")

FORMATS: tuple[str, ...] = ("album", "podcast", "audiobook", "soundtrack")

#: How much the *text* (the genre) counts when a user judges an item of each format, as a factor
#: on the user's own genre weight: an audiobook or a podcast is chosen by what it is about, an
#: album or a soundtrack by how it sounds and looks. Multiplying it with the user's weights makes
#: the utility non-additive: the weight of a modality depends on the user *and* on the item.
FORMAT_TEXT_FOCUS: dict[str, float] = {"audiobook": 6.0, "podcast": 3.0, "album": 1 / 6, "soundtrack": 1 / 6}

GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "space": ("starship", "galaxy", "orbit", "nebula", "astronaut", "planet", "comet", "rocket",
              "alien", "cosmos", "moon", "satellite", "gravity", "launch", "asteroid", "interstellar"),
    "romance": ("love", "heart", "kiss", "wedding", "sweetheart", "longing", "embrace", "valentine",
                "courtship", "devotion", "darling", "romance", "passion", "letters", "rendezvous", "promise"),
    "crime": ("detective", "murder", "heist", "alibi", "suspect", "clue", "gangster", "verdict",
              "witness", "smuggler", "inspector", "ransom", "forgery", "crime", "evidence", "undercover"),
    "comedy": ("laugh", "prank", "joke", "sitcom", "clown", "blunder", "hilarious", "farce",
               "giggle", "parody", "mishap", "roast", "punchline", "silly", "comedian", "slapstick"),
    "history": ("empire", "medieval", "dynasty", "revolution", "ancient", "pharaoh", "castle", "treaty",
                "century", "archive", "kingdom", "chronicle", "war", "monarch", "legion", "renaissance"),
    "nature": ("forest", "river", "wildlife", "mountain", "ocean", "bird", "meadow", "glacier",
               "rainforest", "blossom", "wolf", "canyon", "coral", "season", "garden", "volcano"),
}

ADJECTIVES: tuple[str, ...] = ("lost", "golden", "secret", "last", "silent", "wild", "little", "broken",
                               "endless", "hidden", "brave", "strange", "bright", "quiet", "restless", "final")
FILLER: tuple[str, ...] = ("episode", "collection", "edition", "stories", "sessions", "volume", "notes",
                           "tales", "chapters", "mix", "journey", "moments")

#: Words that leak a little of the *other* traits into the text (the partial overlap).
STYLE_WORDS: dict[str, str] = {"sunset-stripes": "sunset", "ocean-waves": "waves", "forest-dots": "green",
                               "neon-grid": "neon", "pastel-rings": "pastel", "mono-diagonal": "monochrome"}
MOOD_WORDS: dict[str, str] = {"calm": "calm", "melancholy": "wistful", "upbeat": "upbeat",
                              "tense": "tense", "dreamy": "dreamy", "dark": "brooding"}

#: Cover art: (pattern, list of RGB colours in 0..1).
STYLE_RECIPES: dict[str, tuple[str, tuple[tuple[float, float, float], ...]]] = {
    "sunset-stripes": ("stripes", ((0.98, 0.45, 0.10), (0.85, 0.15, 0.25), (1.00, 0.80, 0.30))),
    "ocean-waves": ("waves", ((0.05, 0.30, 0.65), (0.10, 0.65, 0.75), (0.85, 0.95, 1.00))),
    "forest-dots": ("dots", ((0.10, 0.40, 0.15), (0.55, 0.80, 0.25), (0.95, 0.95, 0.80))),
    "neon-grid": ("grid", ((0.08, 0.02, 0.15), (1.00, 0.10, 0.80), (0.10, 0.95, 1.00))),
    "pastel-rings": ("rings", ((1.00, 0.80, 0.88), (0.78, 0.70, 1.00), (0.80, 0.95, 0.90))),
    "mono-diagonal": ("diagonal", ((0.10, 0.10, 0.10), (0.60, 0.60, 0.60), (0.95, 0.95, 0.95))),
}

#: Audio preview: beats per minute, chord (semitones over the root), waveform, root MIDI note range.
MOOD_RECIPES: dict[str, tuple[float, tuple[int, ...], str, tuple[int, int]]] = {
    "calm": (72.0, (0, 4, 7, 12), "sine", (60, 67)),
    "melancholy": (64.0, (0, 3, 7, 12), "sine", (57, 64)),
    "upbeat": (160.0, (0, 4, 7, 12), "square", (62, 69)),
    "tense": (176.0, (0, 3, 6, 9), "saw", (60, 67)),
    "dreamy": (96.0, (0, 4, 7, 11), "vibrato", (64, 71)),
    "dark": (56.0, (0, 3, 7, 10), "saw", (40, 47)),
}

#: How each group of users weighs the three traits (genre, style, mood) when choosing.
USER_GROUPS: dict[str, tuple[float, float, float]] = {
    "readers": (0.70, 0.15, 0.15),
    "lookers": (0.15, 0.70, 0.15),
    "listeners": (0.15, 0.15, 0.70),
    "all-rounders": (0.34, 0.33, 0.33),
}
COUNTRIES: tuple[str, ...] = ("DE", "FR", "US", "BR", "IN", "JP", "CN", "NG", "ES", "SE")
