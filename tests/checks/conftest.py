"""A small temporary warehouse that follows the published tables' contracts.

Ten champions with their real positions/classes/subclasses, a corpus split
80/20 by champion (1,400 train / 350 validation tokens), triplets that obey
their rules, instruction pairs, one fact conflict, and the rule files the
suites read (patch independence, triplets).  Tests break one thing at a time and expect the right
expectation to name it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from warehouse.project import Project

REPO = Path(__file__).resolve().parents[2]

# champion_key, name, title, positions, classes, subclasses, embedding_split, corpus split
CHAMPIONS = [
    ("Aatrox", "Aatrox", "the Darkin Blade", ["Top"], ["Fighter"], ["Juggernaut"], "train", "train"),
    ("Garen", "Garen", "The Might of Demacia", ["Top"], ["Fighter"], ["Juggernaut"], "train", "train"),
    ("Vi", "Vi", "the Piltover Enforcer", ["Jungle"], ["Fighter"], ["Diver"], "train", "train"),
    ("Ahri", "Ahri", "the Nine-Tailed Fox", ["Middle"], ["Mage"], ["Burst"], "train", "train"),
    ("Jinx", "Jinx", "the Loose Cannon", ["Bottom"], ["Marksman"], ["Marksman"], "train", "train"),
    ("Leona", "Leona", "the Radiant Dawn", ["Support"], ["Tank"], ["Vanguard"], "train", "train"),
    ("Lulu", "Lulu", "the Fae Sorceress", ["Support"], ["Controller"], ["Enchanter"], "train", "train"),
    ("Lux", "Lux", "the Lady of Luminosity", ["Middle", "Support"], ["Mage"], ["Burst"], "validation", "validation"),
    (
        "Caitlyn",
        "Caitlyn",
        "the Sheriff of Piltover",
        ["Bottom"],
        ["Marksman"],
        ["Marksman"],
        "validation",
        "validation",
    ),
    ("MonkeyKing", "Wukong", "the Monkey King", ["Top", "Jungle"], ["Fighter"], ["Diver"], "heldout", "validation"),
]

MECHANICS = {
    "Aatrox": "Aatrox slams his greatsword down; enemies hit by the sweet spot are knocked up.",
    "Garen": "Garen spins his sword, dealing damage to nearby enemies, and silences his target.",
    "Vi": "Vi charges a punch that dashes forward and knocks back the first champion hit.",
    "Ahri": "Ahri throws her orb out and pulls it back, dealing true damage on the return.",
    "Jinx": "Jinx swaps between her minigun and her rocket launcher, which deals area damage.",
    "Leona": "Leona stuns the next enemy she hits with her shield and dashes to a target.",
    "Lulu": "Lulu shields an ally and turns an enemy into a harmless critter for a moment.",
    "Lux": "Lux binds enemies with a light orb and fires a long laser that reveals its targets.",
    "Caitlyn": "Caitlyn places traps that root enemies and headshots them from long range.",
    "MonkeyKing": "Wukong leaves a decoy behind while he becomes invisible, then strikes.",
}

PATCH_RULES = [
    (
        "patch_history_section",
        r"(?i)(^|> )\s*(patch history|changelog)\s*$",
        "drop_section",
        "a changelog is patch-specific",
    ),
    (
        "per_rank_values",
        r"[+-]?\d+(\.\d+)?\s*%?(\s*/\s*\d+(\.\d+)?\s*%?){2,}",
        "mask",
        "per-rank values change every patch",
    ),
    ("patch_reference", r"(?i)\b(?:patch\s+v?\d+\.\d+|v\d+\.\d+)\b", "drop_sentence", "patch references date the text"),
    ("ratio_range", r"\d+\s*[-−–]\s*\d+\s*%", "mask", "ranges of ratios are balance numbers"),
]

DDL = """
CREATE TABLE main.champions (champion_key VARCHAR, name VARCHAR, title VARCHAR, positions VARCHAR[], classes VARCHAR[],
    subclasses VARCHAR[], sources VARCHAR[], embedding_split VARCHAR);
CREATE TABLE main.corpus_documents (document_id VARCHAR, source VARCHAR, url VARCHAR, champion VARCHAR, title VARCHAR,
    section_path VARCHAR, text VARCHAR, content_hash VARCHAR, split VARCHAR);
CREATE TABLE main.near_duplicate_pairs (document_id_a VARCHAR, document_id_b VARCHAR, similarity DOUBLE);
CREATE TABLE main.corpus_chunks (chunk_id VARCHAR, document_id VARCHAR, source VARCHAR, champion VARCHAR,
    section VARCHAR, text VARCHAR, n_tokens INTEGER, split VARCHAR);
CREATE TABLE main.triplets (triplet_id VARCHAR, kind VARCHAR, anchor VARCHAR, positive VARCHAR, negative VARCHAR,
    anchor_champion VARCHAR, positive_champion VARCHAR, negative_champion VARCHAR, rule VARCHAR, split VARCHAR);
CREATE TABLE main.instruct_pairs (pair_id VARCHAR, kind VARCHAR, messages STRUCT(role VARCHAR, content VARCHAR)[],
    champion VARCHAR, split VARCHAR, source_ids VARCHAR[]);
CREATE TABLE main.champion_fact_conflicts (champion_key VARCHAR, fact_type VARCHAR, "values" VARCHAR[],
    sources VARCHAR[]);
CREATE TABLE main.rules_triplets (name VARCHAR, positive_shares VARCHAR[], negative_avoids VARCHAR[],
    negative_shares VARCHAR[], per_anchor INTEGER);
"""

# transforms/rules/triplets.yml of the fixture project (main.rules_triplets is its `rules` list)
TRIPLET_RULES_YAML = """\
seed: 7
text_per_champion: 2
text_negative_avoids: [position, class, subclass]
rules:
  - {name: same_subclass, positive_shares: [subclass], negative_avoids: [position, class, subclass],
     negative_shares: [], per_anchor: 3}
  - {name: same_position, positive_shares: [position], negative_avoids: [position, class, subclass],
     negative_shares: [], per_anchor: 3}
  - {name: same_subclass_hard_negative, positive_shares: [subclass], negative_avoids: [position, subclass],
     negative_shares: [class], per_anchor: 2}
"""


def fill_warehouse(con) -> None:
    """Create and fill every table the suites read, all expectations passing."""
    con.execute(DDL)
    con.executemany(
        "INSERT INTO main.champions VALUES (?, ?, ?, ?, ?, ?, ['meraki', 'ddragon'], ?)",
        [row[:7] for row in CHAMPIONS],
    )
    documents, chunks = [], []
    for key, name, _title, _p, _c, _s, _embedding, split in CHAMPIONS:
        doc = f"wiki:{key}"
        text = MECHANICS[key]
        documents.append((doc, "wiki", f"https://wiki.test/{key}", key, name, "Abilities", text, f"h-{key}", split))
        for part in (1, 2):
            tokens = 100 if split == "train" else (60 if key != "MonkeyKing" else 55)
            chunks.append((f"{doc}#{part}", doc, "wiki", key, "Abilities", f"{text} (part {part})", tokens, split))
    documents.append(
        (
            "wiki:Aatrox-mirror",
            "wiki",
            "https://mirror.test/Aatrox",
            "Aatrox",
            "Aatrox",
            "Abilities",
            MECHANICS["Aatrox"] + " Mirrored.",
            "h-Aatrox-mirror",
            "train",
        )
    )
    con.executemany("INSERT INTO main.corpus_documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", documents)
    con.execute("INSERT INTO main.near_duplicate_pairs VALUES ('wiki:Aatrox', 'wiki:Aatrox-mirror', 0.93)")
    con.executemany("INSERT INTO main.corpus_chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", chunks)
    # one evaluation query for champions whose text no triplet uses
    con.execute(
        "CREATE TABLE main.eval_query_chunks AS SELECT chunk_id, champion, split, text FROM main.corpus_chunks "
        "WHERE champion IN ('Garen', 'Jinx') QUALIFY row_number() OVER (PARTITION BY champion ORDER BY chunk_id) = 1"
    )
    con.execute(
        "CREATE TABLE main.champion_mask_terms AS "
        "SELECT champion_key AS champion, [name, champion_key] AS mask_terms FROM main.champions"
    )
    con.executemany(
        "INSERT INTO main.triplets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("t1", "champion", "Aatrox", "Garen", "Jinx", "Aatrox", "Garen", "Jinx", "same_position", "train"),
            (
                "t2",
                "champion",
                "Aatrox",
                "Garen",
                "Vi",
                "Aatrox",
                "Garen",
                "Vi",
                "same_subclass_hard_negative",
                "train",
            ),
            ("t3", "champion", "Leona", "Lulu", "Aatrox", "Leona", "Lulu", "Aatrox", "same_position", "train"),
            (
                "t4",
                "text",
                "Ahri",
                MECHANICS["Ahri"],
                MECHANICS["Leona"],
                "Ahri",
                "Ahri",
                "Leona",
                "name_to_knowledge",
                "train",
            ),
            (
                "t5",
                "text",
                "Lux",
                MECHANICS["Lux"],
                MECHANICS["Caitlyn"],
                "Lux",
                "Lux",
                "Caitlyn",
                "name_to_knowledge",
                "validation",
            ),
        ],
    )
    con.execute(
        """
        INSERT INTO main.instruct_pairs VALUES
        ('p1', 'qa', [{'role': 'user', 'content': 'What does Ahri''s orb do?'},
                      {'role': 'assistant', 'content': 'It deals true damage on the way back.'}],
         'Ahri', 'train', ['wiki:Ahri']),
        ('p2', 'card', [{'role': 'system', 'content': 'You are a coach.'}, {'role': 'user', 'content': 'Describe Lux.'},
                        {'role': 'assistant', 'content': 'A mage who binds and fires a laser.'}],
         'Lux', 'validation', ['wiki:Lux'])
        """
    )
    con.execute(
        "INSERT INTO main.champion_fact_conflicts VALUES ('Aatrox', 'position', ['TOP', 'MIDDLE'], ['meraki', 'wiki'])"
    )
    fill_kit_cards_and_preference_pairs(con)
    for rule in yaml.safe_load(TRIPLET_RULES_YAML)["rules"]:
        con.execute(
            "INSERT INTO main.rules_triplets BY NAME "
            "SELECT * FROM (SELECT ?::VARCHAR AS name, ?::VARCHAR[] AS positive_shares, "
            "?::VARCHAR[] AS negative_avoids, ?::VARCHAR[] AS negative_shares, ?::INTEGER AS per_anchor)",
            [
                rule["name"],
                rule["positive_shares"],
                rule["negative_avoids"],
                rule["negative_shares"],
                rule["per_anchor"],
            ],
        )


def fill_kit_cards_and_preference_pairs(con) -> None:
    """Kit cards that name no label, and preference pairs whose held-out champion never trains (with the
    upstream tables their SQL expectations read: facts, subclass classes, champion splits)."""
    con.execute("CREATE TABLE main.int_champion_facts (champion VARCHAR, fact_type VARCHAR, value VARCHAR)")
    con.execute("CREATE TABLE main.subclass_classes (subclass VARCHAR, class VARCHAR)")
    con.execute("CREATE TABLE main.int_champion_phrases (champion VARCHAR, split VARCHAR, embedding_split VARCHAR)")
    con.execute("CREATE TABLE main.champion_kit_cards (champion VARCHAR, passage VARCHAR, text VARCHAR)")
    con.execute(
        "CREATE TABLE main.preference_pairs (pair_id VARCHAR, prompt VARCHAR, chosen VARCHAR, rejected VARCHAR, "
        "source VARCHAR, champion VARCHAR, fact VARCHAR, split VARCHAR)"
    )
    for key, _name, _title, positions, classes, subclasses, embedding, split in CHAMPIONS:
        facts = [("position", p) for p in positions] + [("subclass", s) for s in subclasses]
        con.executemany("INSERT INTO main.int_champion_facts VALUES (?, ?, ?)", [(key, *fact) for fact in facts])
        con.executemany(
            "INSERT INTO main.subclass_classes SELECT ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM main.subclass_classes WHERE subclass = ?)",
            [(sub, cls, sub) for sub, cls in zip(subclasses, classes, strict=False)],
        )
        con.execute("INSERT INTO main.int_champion_phrases VALUES (?, ?, ?)", [key, split, embedding])
        ranged = key in ("Jinx", "Caitlyn", "Ahri", "Lux", "Lulu")
        card = f"{key} fights {'at range' if ranged else 'in melee'} and is easy to pick up."
        con.execute("INSERT INTO main.champion_kit_cards VALUES (?, 'profile', ?)", [key, card])
        trains = split == "train" and embedding != "heldout"
        con.execute(
            "INSERT INTO main.preference_pairs VALUES (?, ?, ?, ?, 'rules:attack_type', ?, 'attack_type', ?)",
            [
                f"pref-{key}",
                f"Is {key} melee or ranged?",
                "ranged" if ranged else "melee",
                "melee" if ranged else "ranged",
                key,
                "train" if trains else "validation",
            ],
        )


@pytest.fixture
def checks_project(tmp_path: Path) -> Project:
    """A project (this repository's expectation suites) with a filled, passing warehouse."""
    root = tmp_path / "project"
    (root / "transforms").mkdir(parents=True)
    (root / "riftlab.yaml").write_text("name: riftlab\n", encoding="utf-8")
    shutil.copytree(REPO / "transforms" / "expectations", root / "transforms" / "expectations")
    (root / "transforms" / "rules").mkdir()
    (root / "transforms" / "rules" / "triplets.yml").write_text(TRIPLET_RULES_YAML, encoding="utf-8")
    patch_rules = {
        "rules": [dict(zip(("name", "pattern", "action", "reason"), rule, strict=True)) for rule in PATCH_RULES]
    }
    (root / "transforms" / "rules" / "patch_independence.yml").write_text(yaml.safe_dump(patch_rules), encoding="utf-8")
    project = Project.load(root, tmp_path / "warehouse.duckdb")
    con = project.connect()
    try:
        fill_warehouse(con)
    finally:
        con.close()
    return project


@pytest.fixture
def execute(checks_project: Project):
    """Run SQL against the fixture warehouse (to break one thing)."""

    def run(sql: str) -> None:
        con = checks_project.connect()
        try:
            con.execute(sql)
        finally:
            con.close()

    return run
