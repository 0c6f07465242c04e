"""Temp riftlab projects for the evaluation tests: a warehouse of 16 hand-written champions, chunks and triplets.

The tables follow the issue-4 contracts (main.champions, main.corpus_chunks, main.triplets,
main.eval_query_chunks, main.champion_mask_terms), so the evaluation reads exactly what
`riftlab build` publishes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.project import Project

# key, name, title, positions, classes, subclasses, split
CHAMPIONS = [
    ("Ahri", "Ahri", "the Nine-Tailed Fox", ["Middle"], ["Mage"], ["Burst"], "train"),
    ("Lux", "Lux", "the Lady of Luminosity", ["Middle", "Support"], ["Mage"], ["Burst"], "heldout"),
    ("Annie", "Annie", "the Dark Child", ["Middle"], ["Mage"], ["Burst"], "heldout"),
    ("Garen", "Garen", "The Might of Demacia", ["Top"], ["Fighter"], ["Juggernaut"], "train"),
    ("Darius", "Darius", "the Hand of Noxus", ["Top"], ["Fighter"], ["Juggernaut"], "heldout"),
    ("Mordekaiser", "Mordekaiser", "the Iron Revenant", ["Top"], ["Fighter"], ["Juggernaut"], "heldout"),
    ("Jinx", "Jinx", "the Loose Cannon", ["Bottom"], ["Marksman"], ["Marksman"], "train"),
    ("Caitlyn", "Caitlyn", "the Sheriff of Piltover", ["Bottom"], ["Marksman"], ["Marksman"], "heldout"),
    ("MissFortune", "Miss Fortune", "the Bounty Hunter", ["Bottom"], ["Marksman"], ["Marksman"], "heldout"),
    ("Leona", "Leona", "the Radiant Dawn", ["Support"], ["Tank"], ["Vanguard"], "train"),
    ("Alistar", "Alistar", "the Minotaur", ["Support"], ["Tank"], ["Vanguard"], "validation"),
    ("Braum", "Braum", "the Heart of the Freljord", ["Support"], ["Tank"], ["Warden"], "train"),
    ("Zed", "Zed", "the Master of Shadows", ["Middle"], ["Slayer"], ["Assassin"], "heldout"),
    ("Talon", "Talon", "the Blade's Shadow", ["Middle"], ["Slayer"], ["Assassin"], "heldout"),
    ("LeeSin", "Lee Sin", "the Blind Monk", ["Jungle"], ["Fighter"], ["Diver"], "train"),
    ("Vi", "Vi", "the Piltover Enforcer", ["Jungle"], ["Fighter"], ["Diver"], "train"),
]

# key -> (kit/lore chunk mentioning the name and an ability, ability names)
KITS = {
    "Ahri": (
        "Ahri throws Orb of Deception out and back, then dashes with Spirit Rush to charm mages. "
        "Ahri is a nimble fox spirit.",
        ["Orb of Deception", "Spirit Rush"],
    ),
    "Lux": (
        "Lux binds enemies with Light Binding and fires Final Spark, a long laser beam of light across the lane.",
        ["Light Binding", "Final Spark"],
    ),
    "Annie": (
        "Annie is a child who summons her bear Tibbers and sets enemies ablaze with Disintegrate fireballs.",
        ["Disintegrate", "Summon: Tibbers"],
    ),
    "Garen": (
        "Garen spins with Judgment and executes low-health foes with Demacian Justice, a giant sword from the sky.",
        ["Judgment", "Demacian Justice"],
    ),
    "Darius": (
        "Darius swings his axe in a circle with Decimate and dunks enemies with Noxian Guillotine.",
        ["Decimate", "Noxian Guillotine"],
    ),
    "Mordekaiser": (
        "Mordekaiser smashes with his mace Nightfall and drags a foe into the Death Realm to duel alone.",
        ["Nightfall", "Realm of Death"],
    ),
    "Jinx": (
        "Jinx swaps between her minigun and rocket launcher and fires Super Mega Death Rocket across the map.",
        ["Switcheroo!", "Super Mega Death Rocket!"],
    ),
    "Caitlyn": (
        "Caitlyn sets yordle snap traps and snipes from far away with Piltover Peacemaker and Ace in the Hole.",
        ["Piltover Peacemaker", "Ace in the Hole"],
    ),
    "MissFortune": (
        "Miss Fortune is a pirate captain whose Bullet Time rains bullets in a cone from her twin pistols.",
        ["Double Up", "Bullet Time"],
    ),
    "Leona": (
        "Leona is a sun warrior who stuns with Shield of Daybreak and calls down Solar Flare on grouped enemies.",
        ["Shield of Daybreak", "Solar Flare"],
    ),
    "Alistar": (
        "Alistar the minotaur headbutts and pulverizes enemies into the air, then becomes Unbreakable Will.",
        ["Pulverize", "Unbreakable Will"],
    ),
    "Braum": (
        "Braum raises his huge door shield Unbreakable to block projectiles and protect allies in the Freljord.",
        ["Unbreakable", "Glacial Fissure"],
    ),
    "Zed": (
        "Zed casts Living Shadow clones and marks a target for Death Mark, striking from the shadows as an assassin.",
        ["Living Shadow", "Death Mark"],
    ),
    "Talon": (
        "Talon leaps over walls with Assassin's Path and vanishes in Shadow Assault, blades circling around him.",
        ["Assassin's Path", "Shadow Assault"],
    ),
    "LeeSin": (
        "Lee Sin is a blind monk who kicks enemies with Dragon's Rage after landing Sonic Wave and Resonating Strike.",
        ["Sonic Wave", "Dragon's Rage"],
    ),
    "Vi": (
        "Vi punches through walls with giant hextech gauntlets, charging Vault Breaker and Cease and Desist.",
        ["Vault Breaker", "Cease and Desist"],
    ),
}

# anchor, positive, negative (display names), split
TRIPLETS = [
    ("Leona", "Braum", "Jinx", "train"),
    ("Lee Sin", "Vi", "Ahri", "train"),
    ("Garen", "Lee Sin", "Jinx", "train"),
    ("Alistar", "Leona", "Ahri", "validation"),
    ("Darius", "Garen", "Lux", "validation"),
    ("Caitlyn", "Jinx", "Alistar", "validation"),
    ("Zed", "Talon", "Leona", "validation"),
    ("Lux", "Annie", "Darius", "validation"),
]

# kind 'text': anchor name, the key of the champion whose kit chunk is the positive, of the negative's, split
TEXT_TRIPLETS = [
    ("Leona", "Leona", "Zed", "train"),
    ("Alistar", "Alistar", "Jinx", "validation"),
    ("Caitlyn", "Caitlyn", "Leona", "validation"),
    ("Darius", "Darius", "Talon", "validation"),
]


def fill_warehouse(
    con: duckdb.DuckDBPyConnection, champions=CHAMPIONS, triplets=TRIPLETS, text_triplets=TEXT_TRIPLETS
) -> None:
    """Create the issue-4 tables and fill them with the hand-written rows (batched)."""
    con.execute(
        "CREATE OR REPLACE TABLE main.champions (champion_key VARCHAR, name VARCHAR, title VARCHAR, "
        "positions VARCHAR[], classes VARCHAR[], subclasses VARCHAR[], sources VARCHAR[], embedding_split VARCHAR)"
    )
    con.executemany(
        "INSERT INTO main.champions VALUES (?, ?, ?, ?, ?, ?, ['meraki', 'wiki'], ?)",
        [list(c) for c in champions],
    )
    con.execute(
        "CREATE OR REPLACE TABLE main.corpus_chunks (chunk_id VARCHAR, document_id VARCHAR, source VARCHAR, "
        "champion VARCHAR, section VARCHAR, text VARCHAR, n_tokens INTEGER, split VARCHAR)"
    )
    keys = {c[0] for c in champions}
    con.executemany(
        "INSERT INTO main.corpus_chunks VALUES (?, ?, 'wiki', ?, 'Abilities', ?, ?, 'train')",
        [
            [f"chunk-{key}", f"doc-{key}", key, text, len(text.split())]
            for key, (text, _) in KITS.items()
            if key in keys
        ],
    )
    con.execute(
        "INSERT INTO main.corpus_chunks VALUES ('chunk-general', 'doc-general', 'wiki', NULL, 'Map', "
        "'The jungle holds camps and epic monsters that give buffs to the team which slays them first.', 18, 'train')"
    )
    con.execute(  # every champion chunk is an evaluation query here, as eval_query_chunks would pick
        "CREATE OR REPLACE TABLE main.eval_query_chunks AS "
        "SELECT chunk_id, champion, split, text FROM main.corpus_chunks WHERE champion IS NOT NULL"
    )
    con.execute("CREATE OR REPLACE TABLE main.champion_mask_terms (champion VARCHAR, mask_terms VARCHAR[])")
    con.executemany(  # as the model builds it: name, key, long-name parts, ability names
        "INSERT INTO main.champion_mask_terms VALUES (?, ?)",
        [
            [key, [name, key, *[p for p in name.split() if len(p) >= 4], *KITS.get(key, ("", []))[1]]]
            for key, name, *_ in champions
        ],
    )
    con.execute(
        "CREATE OR REPLACE TABLE main.triplets (triplet_id VARCHAR, kind VARCHAR, anchor VARCHAR, positive VARCHAR, "
        "negative VARCHAR, anchor_champion VARCHAR, positive_champion VARCHAR, negative_champion VARCHAR, "
        "rule VARCHAR, split VARCHAR)"
    )
    key_of = {c[1]: c[0] for c in champions}
    con.executemany(
        "INSERT INTO main.triplets VALUES (?, 'champion', ?, ?, ?, ?, ?, ?, 'shared_subclass', ?)",
        [[f"t{i}", a, p, n, key_of[a], key_of[p], key_of[n], split] for i, (a, p, n, split) in enumerate(triplets)],
    )
    if text_triplets:
        con.executemany(
            "INSERT INTO main.triplets VALUES (?, 'text', ?, ?, ?, ?, ?, ?, 'own_chunk', ?)",
            [
                [f"x{i}", a, KITS[p][0], KITS[n][0], key_of[a], p, n, split]
                for i, (a, p, n, split) in enumerate(text_triplets)
            ],
        )


def make_eval_project(root: Path, **rows) -> Project:
    """A project folder at ``root`` with riftlab.yaml and a warehouse :func:`fill_warehouse` fills (with ``rows``)."""
    root.mkdir()
    (root / "riftlab.yaml").write_text(f"name: {root.name}\n", encoding="utf-8")
    project = Project.load(root)
    con = project.connect()
    try:
        fill_warehouse(con, **rows)
    finally:
        con.close()
    return project


def add_training_run(
    project: Project,
    run_id: str,
    output_path: Path | None,
    status: str = "finished",
    stage: str = "embed",
    metrics: str = "{}",
) -> None:
    """Register a training run in meta.training_runs as the training package does."""
    con = project.connect()
    try:
        con.execute(
            "INSERT INTO meta.training_runs "
            "(run_id, stage, base_model, started_at, finished_at, status, output_path, metrics) "
            "VALUES (?, ?, 'minilm', TIMESTAMP '2026-01-01 10:00:00', TIMESTAMP '2026-01-01 10:05:00', ?, ?, ?)",
            [run_id, stage, status, str(output_path) if output_path else None, metrics],
        )
    finally:
        con.close()
