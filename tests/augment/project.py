"""The augmentation tests' project: hand-written inputs, riftlab.yaml, and the calls the tests make."""

from __future__ import annotations

from pathlib import Path

from warehouse.project import Project

REPO = Path(__file__).resolve().parents[2]
API_KEY = "sk-ant-test-0123456789-SECRET-abcdefghij"

# main.champions rows (contract of the corpus issue).
CHAMPIONS = [
    ("Aatrox", "Aatrox", "the Darkin Blade", ["Top"], ["Fighter"], ["Juggernaut"], ["meraki", "ddragon"], "train"),
    ("Ahri", "Ahri", "the Nine-Tailed Fox", ["Middle"], ["Mage"], ["Burst"], ["meraki", "ddragon"], "train"),
    (
        "Thresh",
        "Thresh",
        "the Chain Warden",
        ["Support"],
        ["Controller"],
        ["Catcher"],
        ["meraki", "ddragon"],
        "validation",
    ),
    (
        "MonkeyKing",
        "Wukong",
        "the Monkey King",
        ["Top", "Jungle"],
        ["Fighter"],
        ["Diver"],
        ["meraki", "ddragon"],
        "heldout",
    ),
]

# main.corpus_chunks rows: (chunk_id, document_id, source, champion, section, text, n_tokens, split).
CHUNKS = [
    (
        "wiki-aatrox-0",
        "wiki-aatrox",
        "wiki",
        "Aatrox",
        "Abilities > The Darkin Blade",
        "Aatrox slams his greatsword down three times. Enemies hit by the edge of the blade are knocked up.",
        22,
        "train",
    ),
    (
        "wiki-aatrox-1",
        "wiki-aatrox",
        "wiki",
        "Aatrox",
        "Abilities > Umbral Dash",
        "Aatrox dashes a short distance, and can cast it during his other abilities to reposition the sweet spot.",
        24,
        "train",
    ),
    (
        "wiki-aatrox-2",
        "wiki-aatrox",
        "wiki",
        "Aatrox",
        "Abilities > World Ender",
        "Aatrox unleashes his demonic form, gaining movement speed and healing for a share of the damage he deals.",
        23,
        "train",
    ),
    (
        "coach-aatrox-0",
        "coach-aatrox-matchups",
        "coaching",
        "Aatrox",
        "Matchups > Playing against Aatrox",
        "Step out of the edge of each slam; when his dash is down he cannot adjust the sweet spot, so trade then.",
        25,
        "train",
    ),
    (
        "wiki-ahri-0",
        "wiki-ahri",
        "wiki",
        "Ahri",
        "Abilities > Orb of Deception",
        "Ahri sends out an orb and pulls it back, dealing magic damage on the way out and true damage on the way back.",
        26,
        "train",
    ),
    (
        "wiki-ahri-1",
        "wiki-ahri",
        "wiki",
        "Ahri",
        "Abilities > Charm",
        "Ahri blows a kiss that charms the first enemy hit, making it walk harmlessly towards her.",
        20,
        "train",
    ),
    (
        "wiki-thresh-0",
        "wiki-thresh",
        "wiki",
        "Thresh",
        "Abilities > Death Sentence",
        "Thresh throws his scythe, pulling the first enemy hit towards him; he can then leap to the target.",
        23,
        "validation",
    ),
    (
        "forum-thresh-0",
        "forum-thread-42",
        "forum",
        "Thresh",
        "Lantern tips",
        "Throw the lantern towards a jungler ganking your lane: clicking it pulls the ally to Thresh.",
        21,
        "validation",
    ),
    (
        "wiki-wukong-0",
        "wiki-monkeyking",
        "wiki",
        "MonkeyKing",
        "Abilities > Cyclone",
        "Wukong spins his staff, knocking up nearby enemies twice, which makes him a strong engage in team fights.",
        23,
        "train",
    ),
]

SETTINGS = """
augment:
  run_tasks: [{run_tasks}]
  model: claude-haiku-4-5
  budget_usd: {budget}
  concurrency: 3
  max_retries: 3
  timeout_s: 10
  batch_poll_interval_s: 0.01
  batch_wait_s: {batch_wait}
  grounding_tokens: 60
  pairs_per_request: 2
  self_instruct:
    samples: 4
    seed: 7
"""


def write_config(
    root: Path, budget: float = 5.0, batch_wait: float = 5.0, run_tasks: tuple[str, ...] = ("roles",)
) -> None:
    text = SETTINGS.format(budget=budget, batch_wait=batch_wait, run_tasks=", ".join(run_tasks))
    (root / "riftlab.yaml").write_text(text, encoding="utf-8")


def seed_inputs(con) -> None:
    """main.champions and main.corpus_chunks as the corpus models publish them."""
    con.execute(
        """CREATE OR REPLACE TABLE main.champions (champion_key VARCHAR, name VARCHAR, title VARCHAR,
             positions VARCHAR[], classes VARCHAR[], subclasses VARCHAR[], sources VARCHAR[],
             embedding_split VARCHAR)"""
    )
    con.executemany("INSERT INTO main.champions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", CHAMPIONS)
    con.execute(
        """CREATE OR REPLACE TABLE main.corpus_chunks (chunk_id VARCHAR, document_id VARCHAR, source VARCHAR,
             champion VARCHAR, section VARCHAR, text VARCHAR, n_tokens INTEGER, split VARCHAR)"""
    )
    con.executemany("INSERT INTO main.corpus_chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", CHUNKS)


def run(project: Project, task: str, **options):
    """Run one task through the real engine (connection opened and closed like the command does)."""
    from augment.run import run_task

    con = project.connect()
    try:
        return run_task(project, con, task, **options)
    finally:
        con.close()


def rows(project: Project, sql: str, params: list | None = None) -> list[tuple]:
    con = project.connect(read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def reload(project: Project, **config) -> Project:
    """The same project and warehouse with riftlab.yaml rewritten (budget, batch_wait)."""
    write_config(project.root, **config)
    return Project.load(project.root, project.db_path)


STUB_MODELS = {
    # Stand-ins for the corpus models: the same contracts, read from hand-written rows.
    "champions.sql": "select * from {{ source('raw', 'fixture_champions') }}\n",
    "corpus_chunks.sql": "select * from {{ source('raw', 'fixture_corpus_chunks') }}\n",
    # the facts preference_pairs reads beside main.champions (none here: tests/augment/test_preference_pairs.py)
    "int_champion_facts.sql": "select null::varchar as champion_key, null::varchar as fact_type, "
    "null::varchar as value, null::boolean as chosen where false\n",
}


def build_models(project: Project) -> None:
    from warehouse.runner.build import build

    results = build(project)
    failed = [(r.name, r.error) for r in results if r.status != "success"]
    assert failed == []
