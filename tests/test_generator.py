"""The generator is deterministic, reproduces data_samples/, and plants the structure we teach."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmrec_tutorial.data.generator import CatalogConfig, generate_catalog
from mmrec_tutorial.data.media import read_image, read_wav

REPO = Path(__file__).resolve().parents[1]


def _same_media(a, b) -> None:
    for sub, reader in (("images", read_image), ("audio", read_wav)):
        names_a = sorted(p.name for p in (a / sub).iterdir())
        assert names_a == sorted(p.name for p in (b / sub).iterdir())
        for name in names_a:
            try:
                left = reader(a / sub / name)
            except ValueError:  # corrupt on purpose: compare the bytes
                assert (a / sub / name).read_bytes() == (b / sub / name).read_bytes()
                continue
            right = reader(b / sub / name)
            if sub == "images":
                np.testing.assert_array_equal(left, right)
            else:
                np.testing.assert_array_equal(left[0], right[0])
                assert left[1] == right[1]


@pytest.mark.sample_bytes
@pytest.mark.slow
def test_regenerating_reproduces_committed_sample(tmp_path):
    out = tmp_path / "regen"
    generate_catalog(out, CatalogConfig(), progress=False)
    committed = REPO / "data_samples"
    for name in ("items.csv", "users.csv", "interactions.csv", "traits.csv", "user_groups.csv"):
        assert (out / name).read_bytes() == (committed / name).read_bytes(), name
    _same_media(out, committed)


def test_same_seed_same_catalog_other_seed_differs(tmp_path):
    cfg = CatalogConfig(n_items=30, n_users=20, mean_interactions=8, min_interactions=3, seed=3)
    generate_catalog(tmp_path / "a", cfg, progress=False)
    generate_catalog(tmp_path / "b", cfg, progress=False)
    generate_catalog(tmp_path / "c", CatalogConfig(n_items=30, n_users=20, mean_interactions=8, min_interactions=3,
                                                   seed=4), progress=False)
    assert (tmp_path / "a/interactions.csv").read_bytes() == (tmp_path / "b/interactions.csv").read_bytes()
    _same_media(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a/interactions.csv").read_bytes() != (tmp_path / "c/interactions.csv").read_bytes()


def test_refuses_to_overwrite_without_flag(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite"):
        generate_catalog(tmp_path, CatalogConfig(n_items=10, n_users=5, min_interactions=2), progress=False)
    generate_catalog(tmp_path, CatalogConfig(n_items=10, n_users=5, min_interactions=2), overwrite=True,
                     progress=False)
    assert (tmp_path / "keep.txt").read_text() == "mine"  # only the catalog's own files are replaced


def test_sample_has_the_planted_structure():
    root = REPO / "data_samples"
    inter = pd.read_csv(root / "interactions.csv")
    traits = pd.read_csv(root / "traits.csv")
    groups = pd.read_csv(root / "user_groups.csv")
    items = pd.read_csv(root / "items.csv", keep_default_na=False)
    assert 500 <= traits.shape[0] <= 1000 and 500 <= groups.shape[0] <= 1000
    assert 20_000 <= len(inter) <= 50_000
    # cold items: some items never appear in the interactions
    assert 0 < len(set(traits["item_id"]) - set(inter["item_id"])) < 0.1 * len(traits)
    # a few percent of items miss an image or audio
    assert 0.01 < (items["image"] == "").mean() < 0.1 and 0.01 < (items["audio"] == "").mean() < 0.1
    # groups lean on their trait: readers concentrate on fewer genres than lookers do
    merged = inter.merge(traits, on="item_id").merge(groups, on="user_id")

    def concentration(group: str, trait: str) -> float:
        sub = merged[merged["group"] == group]
        return sub.groupby("user_id")[trait].agg(lambda s: s.value_counts(normalize=True).iloc[0]).mean()

    assert concentration("readers", "genre") > concentration("lookers", "genre") + 0.1
    assert concentration("lookers", "style") > concentration("readers", "style") + 0.1
    assert concentration("listeners", "mood") > concentration("readers", "mood") + 0.1
    # the data card in data_samples/README.md states these counts
    card = (root / "README.md").read_text()
    assert f"{len(inter):,}" in card and f"{len(items)}" in card


def test_trait_weights_depend_on_user_and_item():
    from mmrec_tutorial.data.generator import trait_weights

    w = trait_weights(["readers", "listeners"], ["audiobook", "album", "podcast"])
    assert w.shape == (2, 3, 3)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    np.testing.assert_allclose(w[0, 0], np.array([0.7 * 6, 0.15, 0.15]) / (0.7 * 6 + 0.3))  # reader, audiobook
    assert w[0, 0, 0] > 0.9 and w[0, 1, 0] < 0.3 and w[1, 1, 0] < 0.05  # the genre counts by format
    # non-additive: the change of the genre weight from album to audiobook differs between users
    assert abs((w[0, 0, 0] - w[0, 1, 0]) - (w[1, 0, 0] - w[1, 1, 0])) > 0.1


def test_sample_format_changes_how_much_the_genre_counts():
    """Within each user's history, audiobooks and podcasts match the user's main genre more often
    than albums and soundtracks do (the format scales the genre weight)."""
    root = REPO / "data_samples"
    inter = pd.read_csv(root / "interactions.csv")
    traits = pd.read_csv(root / "traits.csv")
    items = pd.read_csv(root / "items.csv", keep_default_na=False).drop_duplicates("item_id")
    merged = inter.merge(traits, on="item_id").merge(items[["item_id", "category"]], on="item_id")
    top_genre = merged.groupby("user_id")["genre"].agg(lambda s: s.value_counts().index[0])
    merged["main_genre"] = merged["genre"] == merged["user_id"].map(top_genre)
    share = merged.groupby("category")["main_genre"].mean()
    assert min(share["audiobook"], share["podcast"]) > max(share["album"], share["soundtrack"]) + 0.1
    assert all(f"{c} of " in d for c, d in zip(items["category"], items["description"]) if d)


def test_text_names_its_genre_more_than_others():
    from mmrec_tutorial.data.lexicon import GENRE_WORDS

    items = pd.read_csv(REPO / "data_samples/items.csv", keep_default_na=False).drop_duplicates("item_id")
    traits = pd.read_csv(REPO / "data_samples/traits.csv")
    merged = items.merge(traits, on="item_id")
    own = [sum(w in f"{t} {d}".lower() for w in GENRE_WORDS[g]) for t, d, g in
           zip(merged["title"], merged["description"], merged["genre"])]
    other = [sum(w in f"{t} {d}".lower() for w in GENRE_WORDS["space" if g != "space" else "crime"]) for t, d, g in
             zip(merged["title"], merged["description"], merged["genre"])]
    assert np.mean(own) > 2.5 * np.mean(other)


def test_expected_utility_replays_the_sample():
    """The replayed expected utility is what the sample's users chose by: their items rank high."""
    from mmrec_tutorial.data.generator import expected_utility

    utility = expected_utility()
    assert utility.shape == (700, 600)
    inter = pd.read_csv(REPO / "data_samples/interactions.csv").drop_duplicates(["user_id", "item_id"])
    inter = inter[inter["user_id"].str.match(r"u0\d{4}$") & inter["item_id"].str.match(r"i0\d{4}$")]
    users, items = inter["user_id"].str[1:].astype(int), inter["item_id"].str[1:].astype(int)
    # percentile of each chosen item within its user's row of expected utility
    u, i = users.to_numpy(), items.to_numpy()
    ranks = (utility[u] < utility[u, i][:, None]).mean(1)
    other = (u + 1) % len(utility)  # someone else's tastes: only popularity and chance agree
    shifted = (utility[other] < utility[other, i][:, None]).mean(1)
    assert ranks.mean() > 0.75 and ranks.mean() > shifted.mean() + 0.1


def test_big_catalog_samples_among_candidates_without_media(tmp_path):
    """Above ``candidates`` items, each block of users chooses among a random draw of warm items;
    ``media=False`` writes text and interactions only. Histories stay distinct and warm."""
    cfg = CatalogConfig(n_items=5000, n_users=300, mean_interactions=12, min_interactions=4, seed=5,
                        candidates=600, media=False, dirt=None)
    counts = generate_catalog(tmp_path, cfg, progress=False)
    assert counts["images"] == counts["audio"] == 0 and not (tmp_path / "images").exists()
    items = pd.read_csv(tmp_path / "items.csv", keep_default_na=False)
    inter = pd.read_csv(tmp_path / "interactions.csv")
    assert (items["image"] == "").all() and (items["audio"] == "").all() and len(items) == 5000
    assert not inter.duplicated(["user_id", "item_id"]).any()
    assert inter.groupby("user_id").size().max() <= 600 // 3
    assert inter["item_id"].nunique() > 1500  # blocks draw different candidates: the catalog is covered


def test_unknown_ids_never_collide_with_real_ones():
    from mmrec_tutorial.data.generator import _unknown_ids

    assert _unknown_ids("i", pd.Series(["i00000", "i00599"]), 2) == ["i90000", "i90001"]  # the sample's
    big = pd.Series([f"i{k:05d}" for k in (0, 950_000, 999_999)])
    fresh = _unknown_ids("i", big, 3)
    assert fresh == ["i9000000", "i9000001", "i9000002"] and not set(fresh) & set(big)
