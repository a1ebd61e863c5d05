"""Deterministic generator of the course's multimodal sample catalog.

Every item has three hidden traits: a *genre* that its text mostly tells, a visual *style* that
its cover image mostly tells, and a *mood* that its audio preview mostly tells, with a little
overlap (traits are correlated, and the text sometimes names a colour or a mood) and noise.
Users belong to groups that weigh the three traits differently (``lexicon.USER_GROUPS``), so
each modality alone helps, fusing them helps more, and the best fusion weights differ by group.
Items also have a public *format* (``category``: album, podcast, audiobook, soundtrack, named in
the description) that changes how much the genre counts (``lexicon.FORMAT_TEXT_FOCUS``): the
weight a user puts on a trait depends on the user *and* on the item, a non-additive structure
that one fixed weighted sum of modalities cannot express and attention per user-item pair can.

Files written under ``out_dir`` (see ``data_samples/README.md`` for the data card):

- ``items.csv``: item_id, title, description, category, image, audio (paths relative to out_dir)
- ``users.csv``: user_id, joined, country
- ``interactions.csv``: user_id, item_id, rating, timestamp (unix seconds)
- ``images/<item_id>.png``, ``audio/<item_id>.wav``
- ``traits.csv`` (item_id, genre, style, mood) and ``user_groups.csv`` (user_id, group): the
  hidden ground truth, for probes and teaching only; no model may read them.

Some records are dirty on purpose (see ``DirtSpec``) and some items are cold (no interactions).
The same seed gives byte-identical CSVs and identical pixels and samples.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .lexicon import (ADJECTIVES, COUNTRIES, FILLER, FORMAT_TEXT_FOCUS, FORMATS, GENRE_WORDS, GENRES, MOOD_WORDS,
                      MOODS, STYLE_WORDS, STYLES, USER_GROUPS)
from .media import SAMPLE_RATE, draw_cover, resample_linear, synth_clip, write_png, write_wav

T0 = 1_672_531_200  # 2023-01-01 00:00:00 UTC
T_SPAN = 540 * 86_400  # interactions fall within about 18 months


@dataclasses.dataclass(frozen=True)
class DirtSpec:
    """How many dirty records of each kind to plant (the cleaning lesson)."""

    missing_image_frac: float = 0.03
    missing_audio_frac: float = 0.03
    dangling_image_paths: int = 2  # listed in items.csv, file absent
    corrupt_images: int = 2
    grayscale_images: int = 3
    rgba_images: int = 3
    corrupt_audio: int = 1
    silent_audio: int = 2
    off_rate_audio: int = 4  # written at 16 kHz instead of 8 kHz
    empty_text_items: int = 3  # title and description both empty
    empty_description_items: int = 5
    duplicate_item_rows: int = 2
    duplicate_interactions: int = 120
    unknown_item_interactions: int = 12
    unknown_user_interactions: int = 6
    bad_timestamps: int = 9


@dataclasses.dataclass(frozen=True)
class CatalogConfig:
    """Size and randomness of a generated catalog. The defaults make ``data_samples/``."""

    n_items: int = 600
    n_users: int = 700
    mean_interactions: float = 38.0
    min_interactions: int = 8
    cold_frac: float = 0.05
    seed: int = 2024
    trait_overlap: float = 0.3  # chance that style (and, half as often, mood) follows the genre
    preference_strength: float = 4.0
    popularity_strength: float = 0.6
    dirt: DirtSpec | None = dataclasses.field(default_factory=DirtSpec)
    media: bool = True  # draw covers and previews; False: text and interactions only (big catalogs)
    candidates: int = 20_000  # above this many items, each block of users chooses among a random draw of it

    def __post_init__(self) -> None:
        for name in ("n_items", "n_users", "min_interactions"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.mean_interactions >= self.min_interactions:
            raise ValueError(f"mean_interactions ({self.mean_interactions}) must be at least min_interactions "
                             f"({self.min_interactions})")
        if self.min_interactions > self.n_items:
            raise ValueError(f"min_interactions ({self.min_interactions}) cannot exceed n_items ({self.n_items}): "
                             "a user interacts with each item at most once")
        if self.candidates < 3 * self.min_interactions:
            raise ValueError(f"candidates ({self.candidates}) must be at least 3 x min_interactions")
        if not 0 <= self.cold_frac < 1:
            raise ValueError(f"cold_frac must be in [0, 1), got {self.cold_frac}")


def _item_traits(cfg: CatalogConfig, rng: np.random.Generator) -> pd.DataFrame:
    genre = rng.integers(0, len(GENRES), cfg.n_items)
    style = np.where(rng.random(cfg.n_items) < cfg.trait_overlap, genre % len(STYLES),
                     rng.integers(0, len(STYLES), cfg.n_items))
    mood = np.where(rng.random(cfg.n_items) < cfg.trait_overlap / 2, genre % len(MOODS),
                    rng.integers(0, len(MOODS), cfg.n_items))
    fmt = rng.integers(0, len(FORMATS), cfg.n_items)
    return pd.DataFrame({"item_id": [f"i{k:05d}" for k in range(cfg.n_items)],
                         "genre": [GENRES[g] for g in genre], "style": [STYLES[s] for s in style],
                         "mood": [MOODS[m] for m in mood], "category": [FORMATS[f] for f in fmt]})


def _item_text(genre: str, style: str, mood: str, category: str,
               rng: np.random.Generator) -> tuple[str, str]:
    words = GENRE_WORDS[genre]
    title = f"The {rng.choice(ADJECTIVES).title()} {rng.choice(words).title()}"
    if rng.random() < 0.3:
        title += f" {rng.choice(FILLER).title()}"
    picked = list(rng.choice(words, size=3, replace=False))
    other = GENRE_WORDS[rng.choice([g for g in GENRES if g != genre])]
    picked.append(str(rng.choice(other)))  # noise: one word from another genre
    rng.shuffle(picked)
    article = "An" if category[0] in "aeiou" else "A"
    desc = (f"{article} {category} of {rng.choice(ADJECTIVES)} {picked[0]} and {picked[1]}, "
            f"where {picked[2]} meets {picked[3]}.")
    extras = []
    if rng.random() < 0.25:
        extras.append(f"Cover in {STYLE_WORDS[style]} tones.")
    if rng.random() < 0.25:
        extras.append(f"A {MOOD_WORDS[mood]} sound.")
    if extras:
        desc += " " + " ".join(extras)
    return title, desc


def _users(cfg: CatalogConfig, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    groups = list(USER_GROUPS)
    group = rng.integers(0, len(groups), cfg.n_users)
    ids = [f"u{k:05d}" for k in range(cfg.n_users)]
    joined = pd.to_datetime(T0 + rng.integers(-400, 0, cfg.n_users) * 86_400, unit="s").strftime("%Y-%m-%d")
    users = pd.DataFrame({"user_id": ids, "joined": joined,
                          "country": [COUNTRIES[c] for c in rng.integers(0, len(COUNTRIES), cfg.n_users)]})
    user_groups = pd.DataFrame({"user_id": ids, "group": [groups[g] for g in group]})
    return users, user_groups


def _favourites(n_users: int, n_values: int, rng: np.random.Generator) -> np.ndarray:
    """A ``(n_users, n_values)`` 0/1 matrix: each user likes one or two values of a trait."""
    fav = np.zeros((n_users, n_values))
    for u in range(n_users):
        fav[u, rng.choice(n_values, size=1 + int(rng.random() < 0.5), replace=False)] = 1.0
    return fav


def trait_weights(groups: Sequence[str], categories: Sequence[str]) -> np.ndarray:
    """How much each user weighs each trait (genre, style, mood) when judging each item.

    ``(n_users,) groups, (n_items,) categories -> (n_users, n_items, 3)``: the group's weights
    (``USER_GROUPS``) with the genre's scaled by the item format's ``FORMAT_TEXT_FOCUS``,
    renormalised to sum to 1. The generator's hidden ground truth (teaching and tests only).
    """
    weights = np.array([USER_GROUPS[g] for g in groups], dtype=float)  # (n_users, 3)
    focus = np.ones((len(categories), 3))
    focus[:, 0] = [FORMAT_TEXT_FOCUS[c] for c in categories]
    w = weights[:, None, :] * focus[None, :, :]
    return w / w.sum(-1, keepdims=True)


def _tastes(cfg: CatalogConfig, traits: pd.DataFrame,
            rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Trait codes per item, each user's favourite values per trait, and item popularity (drawn here)."""
    codes = [pd.Categorical(traits[t], categories=vals).codes
             for t, vals in (("genre", GENRES), ("style", STYLES), ("mood", MOODS))]
    favs = [_favourites(cfg.n_users, len(vals), rng) for vals in (GENRES, STYLES, MOODS)]
    popularity = rng.pareto(1.5, cfg.n_items) + 1.0
    return codes, favs, popularity


def _utility(cfg: CatalogConfig, codes: list[np.ndarray], favs: list[np.ndarray], popularity: np.ndarray,
             groups: np.ndarray, categories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected utility ``(users, items)`` of ``groups``' users (rows of ``favs``) and how well each item matches."""
    w = trait_weights(groups, categories)  # (users, items, 3): depends on user and item
    match = sum(w[:, :, m] * favs[m][:, codes[m]] for m in range(3))
    return cfg.preference_strength * match + cfg.popularity_strength * np.log(popularity)[None, :], match


def expected_utility(cfg: CatalogConfig = CatalogConfig()) -> np.ndarray:
    """The generator's expected utility of every user for every item, ``(n_users, n_items)`` float.

    Replays the generator's own draws (same seed, same order), so row ``u`` / column ``i`` are the
    catalog's ``u{u:05d}`` / ``i{i:05d}``. Ranking by it (before the Gumbel noise of each choice)
    is the best any recommender can do on average: an upper bound for benchmarks. Hidden ground
    truth, never read by a model.
    """
    rng = np.random.default_rng(cfg.seed)
    traits = _item_traits(cfg, rng)
    _, user_groups = _users(cfg, rng)
    codes, favs, popularity = _tastes(cfg, traits, rng)
    utility, _ = _utility(cfg, codes, favs, popularity, user_groups["group"].to_numpy(),
                          traits["category"].to_numpy())
    return utility


#: Elements of one ``(users, items)`` block of utilities: the memory bound of sampling (about
#: 100 MB for the trait weights of a block). The sample's 600 items take 512 users a block, a
#: big catalog 64 users (each block draws its own candidates).
BLOCK_ELEMENTS = 1 << 22


def _candidates(cfg: CatalogConfig, cold: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """The items one user block chooses among: all of them (``None``) up to ``cfg.candidates``
    items, else a uniform draw of that many distinct warm items (a big catalog stays O(users x
    candidates) to sample; popularity still shapes the choice within the draw)."""
    if cfg.n_items <= cfg.candidates:
        return None
    draw = np.unique(rng.integers(0, cfg.n_items, 2 * cfg.candidates))
    draw = draw[~np.isin(draw, cold)]
    return rng.permutation(draw)[:cfg.candidates]


def _interactions(cfg: CatalogConfig, traits: pd.DataFrame, user_groups: pd.DataFrame,
                  rng: np.random.Generator) -> pd.DataFrame:
    n_items, n_users = cfg.n_items, cfg.n_users
    codes, favs, popularity = _tastes(cfg, traits, rng)
    group, category = user_groups["group"].to_numpy(), traits["category"].to_numpy()
    cold = rng.choice(n_items, size=int(round(cfg.cold_frac * n_items)), replace=False)
    counts = np.maximum(cfg.min_interactions,
                        rng.lognormal(np.log(cfg.mean_interactions) - 0.32, 0.8, n_users)).astype(int)
    columns = min(n_items, cfg.candidates)  # the items each block chooses among
    counts = np.minimum(counts, columns // 3)
    # blocks share a candidate draw: small ones keep users' histories apart in a big catalog
    block = max(1, min(512 if n_items <= cfg.candidates else 64, BLOCK_ELEMENTS // columns))
    parts: list[np.ndarray] = []
    for start in tqdm(range(0, n_users, block), desc="sampling interactions", disable=n_users * columns < 10**8):
        users = np.arange(start, min(n_users, start + block))
        parts.append(_block_interactions(cfg, users, counts, (codes, favs, popularity), group, category, cold, rng))
    inter = np.concatenate(parts) if parts else np.zeros((0, 4), np.int64)
    return pd.DataFrame({"user_id": [f"u{u:05d}" for u in inter[:, 0]],
                         "item_id": [f"i{i:05d}" for i in inter[:, 1]],
                         "rating": inter[:, 2], "timestamp": inter[:, 3]})


def _block_interactions(cfg: CatalogConfig, users: np.ndarray, counts: np.ndarray,
                        tastes: tuple[list[np.ndarray], list[np.ndarray], np.ndarray], group: np.ndarray,
                        category: np.ndarray, cold: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample the histories of one block of users: ``(rows, 4)`` int64 user, item, rating, time.

    Each user picks ``counts[u]`` distinct items by the Gumbel-max trick over the utilities
    (a draw without replacement from the softmax of the utilities), among all warm items or,
    in a big catalog, among one block-wide draw of candidates.
    """
    codes, favs, popularity = tastes
    pool = _candidates(cfg, cold, rng)
    if pool is None:
        utility, match = _utility(cfg, codes, [f[users] for f in favs], popularity, group[users], category)
        utility[:, cold] = -np.inf
    else:
        utility, match = _utility(cfg, [c[pool] for c in codes], [f[users] for f in favs], popularity[pool],
                                  group[users], category[pool])
    noisy = utility + rng.gumbel(size=utility.shape)
    out = []
    for row, u in enumerate(users):
        chosen = np.argpartition(-noisy[row], counts[u])[:counts[u]]
        items = chosen if pool is None else pool[chosen]
        # order the history so that items of one genre tend to follow each other (a sequence signal)
        order = np.argsort(codes[0][items] + rng.uniform(0, 2.5, len(items)))
        gaps = rng.exponential(3 * 86_400, len(items)).cumsum()
        begin = T0 + rng.integers(0, T_SPAN // 3)
        times = (begin + gaps / max(1.0, gaps[-1] / (T_SPAN * 0.6))).astype(np.int64)
        ratings = np.clip(np.round(2 + 3 * match[row, chosen[order]] + rng.normal(0, 0.7, len(items))), 1, 5)
        out.append(np.stack([np.full(len(items), u), items[order], ratings.astype(np.int64), times], axis=1))
    return np.concatenate(out).astype(np.int64)


def _unknown_ids(prefix: str, known: pd.Series, k: int) -> list[str]:
    """``k`` ids that no real user or item has: ``<prefix>9`` and more digits, as wide as the real
    ids while those number below 9 followed by zeros (``i90000``, ... in the sample), else wider."""
    numbers = known.str.slice(len(prefix)).astype(np.int64)
    width = int(known.str.len().max()) - len(prefix) if len(known) else 5
    digits = width - 1 if len(known) == 0 or numbers.max() < 9 * 10 ** (width - 1) else width
    return [f"{prefix}9{j:0{digits}d}" for j in range(k)]


def _plant_interaction_dirt(inter: pd.DataFrame, dirt: DirtSpec, rng: np.random.Generator) -> pd.DataFrame:
    def rows(k: int) -> pd.DataFrame:
        return inter.iloc[rng.choice(len(inter), min(k, len(inter)), replace=False)].copy()

    dup = rows(dirt.duplicate_interactions)
    some = rows(dirt.unknown_item_interactions)
    some["item_id"] = _unknown_ids("i", inter["item_id"], len(some))
    who = rows(dirt.unknown_user_interactions)
    who["user_id"] = _unknown_ids("u", inter["user_id"], len(who))
    bad = rows(dirt.bad_timestamps)
    bad["timestamp"] = np.resize(np.array([-1, 0, 4_102_444_800 + 86_400], dtype=np.int64), len(bad))
    out = pd.concat([inter, dup, some, who, bad], ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def _prepare_folder(out: Path, overwrite: bool) -> None:
    """Make ``out``; a non-empty one only with ``overwrite``, and then only the catalog's own files go."""
    names = ("items.csv", "users.csv", "interactions.csv", "traits.csv", "user_groups.csv", "images", "audio")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty; pass overwrite=True (CLI: --overwrite) to replace it")
        for name in names:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


class _DirtyPicks:
    """Which items get which dirt, decided before any media is drawn (so each item is drawn exactly
    once): distinct items from one random permutation; a tiny catalog simply gets less dirt."""

    def __init__(self, n: int, dirt: DirtSpec | None, rng: np.random.Generator) -> None:
        self._take = iter(rng.permutation(n))
        d = dirt or DirtSpec(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        self.no_image = self.pick(int(round(d.missing_image_frac * n)))
        self.no_audio = self.pick(int(round(d.missing_audio_frac * n)))
        self.dangling, self.corrupt_img = self.pick(d.dangling_image_paths), self.pick(d.corrupt_images)
        self.gray, self.rgba = self.pick(d.grayscale_images), self.pick(d.rgba_images)
        self.corrupt_wav, self.silent = self.pick(d.corrupt_audio), self.pick(d.silent_audio)
        self.off_rate = self.pick(d.off_rate_audio)
        self.empty_text, self.empty_desc = self.pick(d.empty_text_items), self.pick(d.empty_description_items)

    def pick(self, k: int) -> list[int]:
        """The next ``k`` items of the permutation (fewer when it runs out)."""
        return [int(i) for _, i in zip(range(k), self._take)]


def _write_cover(path: Path, style: str, k: int, picks: _DirtyPicks, rng: np.random.Generator) -> None:
    """Draw item ``k``'s cover and write it as planned: grayscale, with alpha, or truncated."""
    pixels = draw_cover(style, rng)
    if k in picks.gray:
        pixels = (pixels @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
    elif k in picks.rgba:
        alpha = np.full(pixels.shape[:2] + (1,), 255, np.uint8)
        alpha[:8] = 0  # a transparent band at the top
        pixels = np.concatenate([pixels, alpha], axis=2)
    write_png(path, pixels)
    if k in picks.corrupt_img:
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 3])


def _write_preview(path: Path, mood: str, k: int, picks: _DirtyPicks, rng: np.random.Generator) -> None:
    """Synthesise item ``k``'s preview and write it as planned: silent, off-rate, corrupt or clean."""
    clip = synth_clip(mood, rng)
    if k in picks.silent:
        write_wav(path, np.zeros_like(clip), SAMPLE_RATE)
    elif k in picks.off_rate:
        write_wav(path, resample_linear(clip, SAMPLE_RATE, 2 * SAMPLE_RATE), 2 * SAMPLE_RATE)
    elif k in picks.corrupt_wav:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(64))
    else:
        write_wav(path, clip, SAMPLE_RATE)


def generate_catalog(out_dir: str | Path, cfg: CatalogConfig = CatalogConfig(), *, overwrite: bool = False,
                     progress: bool = True) -> dict[str, int]:
    """Write a catalog to ``out_dir`` and return counts of what was written.

    Refuses to write into a non-empty folder unless ``overwrite`` (then it replaces the catalog's
    own files and folders only).
    """
    out = Path(out_dir)
    _prepare_folder(out, overwrite)
    rng = np.random.default_rng(cfg.seed)
    traits = _item_traits(cfg, rng)
    users, user_groups = _users(cfg, rng)
    inter = _interactions(cfg, traits, user_groups, rng)
    texts = [_item_text(g, s, m, c, rng)
             for g, s, m, c in zip(traits["genre"], traits["style"], traits["mood"], traits["category"])]
    items = pd.DataFrame({"item_id": traits["item_id"], "title": [t for t, _ in texts],
                          "description": [d for _, d in texts], "category": traits["category"],
                          "image": [f"images/{i}.png" for i in traits["item_id"]],
                          "audio": [f"audio/{i}.wav" for i in traits["item_id"]]})
    picks = _DirtyPicks(cfg.n_items, cfg.dirt, rng)
    for k in tqdm(range(cfg.n_items if cfg.media else 0), desc="drawing covers and previews", disable=not progress):
        media_rng = np.random.default_rng([cfg.seed, k])  # per item: order-independent
        item_id = items.at[k, "item_id"]
        if k not in picks.no_image and k not in picks.dangling:
            _write_cover(out / "images" / f"{item_id}.png", traits.at[k, "style"], k, picks, media_rng)
        if k not in picks.no_audio:
            _write_preview(out / "audio" / f"{item_id}.wav", traits.at[k, "mood"], k, picks, media_rng)
    if not cfg.media:
        items[["image", "audio"]] = ""
    items.loc[picks.no_image, "image"] = ""
    items.loc[picks.no_audio, "audio"] = ""
    items.loc[picks.empty_text, ["title", "description"]] = ""
    items.loc[picks.empty_desc, "description"] = ""
    if cfg.dirt is not None:
        items = pd.concat([items, items.iloc[picks.pick(cfg.dirt.duplicate_item_rows)]], ignore_index=True)
        inter = _plant_interaction_dirt(inter, cfg.dirt, rng)
    items.to_csv(out / "items.csv", index=False)
    users.to_csv(out / "users.csv", index=False)
    inter.to_csv(out / "interactions.csv", index=False)
    traits.drop(columns="category").to_csv(out / "traits.csv", index=False)  # the format is public: items.csv
    user_groups.to_csv(out / "user_groups.csv", index=False)
    return {"items": len(items), "users": len(users), "interactions": len(inter),
            "images": sum(1 for _ in (out / "images").glob("*.png")) if cfg.media else 0,
            "audio": sum(1 for _ in (out / "audio").glob("*.wav")) if cfg.media else 0}
