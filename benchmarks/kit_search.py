"""Does `riftlab neighbours --kit` find the champions a description names?  Kit search against names alone.

For each description the evaluation report offers (evaluation.neighbours.KIT_PHRASES), the kit-card
facts it names (rules of transforms/rules/kit_cards.yml, listed below) are looked up for the top 10
champions returned, and the share of those facts each champion has is averaged: 1.0 when every champion
shown has every fact named.  Side by side, per model: the kit search (`by_text` with the warehouse's
kit cards) and the names alone (`by_text` with no cards: the names' cosine to the description, what
`--kit` did before it read the cards); chance is the same share over every champion.  The descriptions
use the cards' own words; paraphrases ("attacks from afar", "lots of CC") are a harder test this does
not make (docs/results.md shows some by hand).

    .venv/bin/python benchmarks/kit_search.py --project DIR [--models minilm RUN_ID ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

#: the kit-card rules each report description names
FACTS = {
    "ranged, physical damage, low mobility": {"ranged", "physical", "mobility_low"},
    "ranged, magic damage, a lot of crowd control": {"ranged", "magic", "control_high"},
    "melee, very durable, a lot of crowd control": {"melee", "toughness_high", "control_high"},
    "melee, physical damage, highly mobile, fragile": {"melee", "physical", "mobility_high", "toughness_low"},
    "offers allies a great deal of utility: heals, shields or buffs": {"utility_high"},
    "melee, magic damage, hard to kill": {"melee", "magic", "toughness_high"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--models", nargs="+", default=["minilm"], help="minilm, run ids or folders")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="write the numbers as JSON here")
    args = parser.parse_args()

    from evaluation import models, neighbours
    from warehouse.project import Project

    project = Project.load(args.project)
    con = project.connect(read_only=True)
    try:
        rows = neighbours.champions(con)
        cards = neighbours.kit_sentences(con)
        refs = [models.resolve(name, con, project.root) for name in args.models]
        rules = dict(
            con.execute(
                "SELECT champion, list(DISTINCT rule) FROM main.champion_kit_card_hits GROUP BY champion"
            ).fetchall()
        )
    finally:
        con.close()
    if not cards:
        raise SystemExit(f"{args.project}: the warehouse has no kit cards (crawl meraki, then riftlab build)")
    assert set(FACTS) == set(neighbours.KIT_PHRASES), "FACTS must name the facts of every report description"

    def share(keys: list[str], wanted: set[str]) -> float:
        return float(np.mean([len(wanted & set(rules.get(key, []))) / len(wanted) for key in keys]))

    everyone = [row["champion_key"] for row in rows]
    report = {"chance": {p: share(everyone, f) for p, f in FACTS.items()}, "models": {}}
    print(f"{len(rows)} champions; share of the named kit facts the top {args.k} have (1.0: all of them)")
    print("| model | ranking | " + " | ".join(f"'{p}'" for p in FACTS) + " | mean |")
    print("| --- | --- |" + " ---: |" * (len(FACTS) + 1))
    chance = report["chance"]
    print(
        "| - | chance | " + " | ".join(f"{chance[p]:.2f}" for p in FACTS) + f" | {np.mean(list(chance.values())):.3f} |"
    )
    for ref in refs:
        model = models.load(ref, decoder_pooling=project.config["evaluation"]["decoder_pooling"])
        for label, given in (("names alone", {}), ("kit search", cards)):
            search = neighbours.KitSearch(model, rows, given)
            got = {
                phrase: share([n.key for n in search.rank(phrase, args.k)], facts) for phrase, facts in FACTS.items()
            }
            report["models"].setdefault(ref.label, {})[label] = got
            values = " | ".join(f"{got[p]:.2f}" for p in FACTS)
            print(f"| {ref.label} | {label} | {values} | {np.mean(list(got.values())):.3f} |", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
