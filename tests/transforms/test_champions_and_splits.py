"""Champion facts, conflicts, splits and triplets on the fixture landing."""

from __future__ import annotations

from tests.transforms.project import HELDOUT
from tests.transforms.raw_landing import CHAMPIONS


def test_one_row_per_champion_with_canonical_facts(built):
    _, con = built
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select champion_key, name, positions, classes, subclasses, sources from main.champions"
        ).fetchall()
    }
    assert set(rows) == set(CHAMPIONS)
    assert rows["MonkeyKing"][:4] == ("Wukong", ["Top", "Jungle"], ["Fighter"], ["Diver"])
    assert rows["Lux"][1:4] == (["Middle", "Support"], ["Mage"], ["Burst"])
    assert rows["Braum"][2] == ["Tank"]
    # Meraki wins Garen's positions over the coaching site, and the disagreement is kept
    assert rows["Garen"][1] == ["Top"]
    assert rows["Garen"][4] == ["coaching", "ddragon", "meraki"]


def test_conflicts_are_recorded(built):
    _, con = built
    conflicts = con.execute(
        "select champion_key, fact_type, values, chosen_source from main.champion_fact_conflicts"
    ).fetchall()
    assert conflicts == [("Garen", "position", ["meraki: Top", "coaching: Middle, Top"], "meraki")]


def test_documents_are_tied_to_champion_keys_by_name(built):
    _, con = built
    # the wiki names Wukong by display name; it resolves to the key MonkeyKing
    assert con.execute(
        "select champion from main.int_documents where source = 'wiki' and champion_ref = 'Wukong'"
    ).fetchall() == [("MonkeyKing",)]


def test_champion_documents_and_near_duplicates_share_a_split(built):
    _, con = built
    assert con.execute(
        "select count(*) from (select champion from main.corpus_chunks where champion is not null "
        "group by champion having count(distinct split) > 1)"
    ).fetchone() == (0,)
    pairs = con.execute("select document_id_a, document_id_b from main.near_duplicate_pairs").fetchall()
    assert len(pairs) >= 1
    for a, b in pairs:
        splits = con.execute(
            "select distinct split from main.corpus_documents where document_id in (?, ?)", [a, b]
        ).fetchall()
        assert len(splits) == 1


def test_chunks_respect_the_token_budget(built):
    project, con = built
    limit = project.config["vars"]["chunk_max_tokens"]
    low, high = con.execute("select min(n_tokens), max(n_tokens) from main.corpus_chunks").fetchone()
    assert project.config["vars"]["chunk_min_tokens"] <= low and high <= limit


def test_heldout_champions_are_in_no_triplet(built):
    _, con = built
    assert con.execute("select champion_key from main.champions where embedding_split = 'heldout'").fetchall() == [
        (h,) for h in HELDOUT
    ]
    used = con.execute(
        "select count(*) from main.triplets"
        " where anchor_champion in ? or positive_champion in ? or negative_champion in ?",
        [HELDOUT, HELDOUT, HELDOUT],
    ).fetchone()[0]
    assert used == 0


def test_every_champion_triplet_obeys_its_rule(built, repo_root):
    import yaml

    _, con = built
    rules = {r["name"]: r for r in yaml.safe_load((repo_root / "transforms/rules/triplets.yml").read_text())["rules"]}
    facts = {}
    for key, positions, classes, subclasses in con.execute(
        "select champion_key, positions, classes, subclasses from main.champions"
    ).fetchall():
        facts[key] = {"position": set(positions), "class": set(classes), "subclass": set(subclasses)}
    triplets = con.execute(
        "select rule, anchor_champion, positive_champion, negative_champion from main.triplets where kind = 'champion'"
    ).fetchall()
    assert {t[0] for t in triplets} >= {"same_subclass", "same_position"}

    def shares(a, b, kinds):
        return any(facts[a][k] & facts[b][k] for k in kinds)

    for rule, anchor, positive, negative in triplets:
        spec = rules[rule]
        assert anchor != positive and anchor != negative
        assert shares(anchor, positive, spec["positive_shares"]), (rule, anchor, positive)
        assert not shares(anchor, negative, spec["negative_avoids"]), (rule, anchor, negative)
        if spec["negative_shares"]:
            assert shares(anchor, negative, spec["negative_shares"]), (rule, anchor, negative)


def test_text_triplets_tie_names_to_their_own_chunks(built):
    _, con = built
    rows = con.execute("""
        select t.anchor, c.name, t.positive in (select text from main.corpus_chunks where champion = t.anchor_champion)
        from main.triplets t join main.champions c on c.champion_key = t.anchor_champion
        where t.kind = 'text'
    """).fetchall()
    assert rows
    assert all(anchor == name and own for anchor, name, own in rows)


def test_build_is_deterministic(built):
    from warehouse.runner.build import build

    project, con = built
    before = {
        t: con.execute(f"select * from main.{t} order by all").fetchall()
        for t in ("champions", "corpus_chunks", "triplets")
    }
    con.close()
    results = build(project)
    assert all(r.status == "success" for r in results)
    import duckdb

    fresh = duckdb.connect(str(project.db_path), read_only=True)
    after = {t: fresh.execute(f"select * from main.{t} order by all").fetchall() for t in before}
    fresh.close()
    assert before == after


def test_evaluation_queries_are_reserved_and_kept_out_of_training(built):
    import duckdb

    from training.data import read_chunks

    project, _ = built
    con = duckdb.connect(str(project.db_path), read_only=True)  # an earlier test closes the shared connection
    per_champion = dict(con.execute("select champion, count(*) from main.eval_query_chunks group by 1").fetchall())
    chunks_of = dict(
        con.execute(
            "select champion, count(*) from main.corpus_chunks where champion is not null group by 1"
        ).fetchall()
    )
    assert per_champion and all(1 <= n <= 2 for n in per_champion.values())
    # a champion with a single chunk keeps it for training; every other champion gets a query
    assert {c for c, n in chunks_of.items() if n > 1} == set(per_champion)
    reserved = {
        r[0]
        for r in con.execute(
            "select c.text from main.eval_query_chunks join main.corpus_chunks c using (chunk_id)"
        ).fetchall()
    }
    assert reserved == {r[0] for r in con.execute("select text from main.eval_query_chunks").fetchall()}
    in_triplets = {t for row in con.execute("select positive, negative from main.triplets").fetchall() for t in row}
    assert not reserved & in_triplets
    readable = set(read_chunks(con)["text"].to_pylist())
    con.close()
    assert readable and not reserved & readable


def test_mask_terms_hide_every_word_that_names_the_champion(built):
    import duckdb

    from warehouse.sql_functions.text import mask_terms

    project, _ = built
    with duckdb.connect(str(project.db_path), read_only=True) as con:
        terms = dict(con.execute("select champion, mask_terms from main.champion_mask_terms").fetchall())
    assert set(terms) == set(CHAMPIONS)
    assert {"Wukong", "MonkeyKing", "Warrior Trickster"} <= set(terms["MonkeyKing"])
    assert {"Jinx", "Switcheroo!", "Super Mega Death Rocket!"} <= set(terms["Jinx"])
    text = "Wukong's Warrior Trickster leaves a decoy; MonkeyKing then dashes."
    assert mask_terms(text, terms["MonkeyKing"], "this champion") == (
        "this champion's this champion leaves a decoy; this champion then dashes."
    )
