"""Small hand-written warehouse rows for the training tests, following the table contracts.

27 real champions with their wiki labels; two patch-independent chunks each; triplets
built from those labels by the same rule the transforms use (positive shares a
subclass or position, negative shares neither; text triplets tie a name to a chunk
about it); instruction pairs in chat format.
"""

from __future__ import annotations

import hashlib
import random

CLASS_OF = {
    "Enchanter": "Controller",
    "Catcher": "Controller",
    "Juggernaut": "Fighter",
    "Diver": "Fighter",
    "Burst": "Mage",
    "Battlemage": "Mage",
    "Artillery": "Mage",
    "Marksman": "Marksman",
    "Assassin": "Slayer",
    "Skirmisher": "Slayer",
    "Vanguard": "Tank",
    "Warden": "Tank",
    "Specialist": "Specialist",
}

# key, name, title, positions, subclass, embedding_split, two chunks
CHAMPIONS = [
    (
        "Aatrox",
        "Aatrox",
        "the Darkin Blade",
        ["Top"],
        "Juggernaut",
        "train",
        "Aatrox swings his greatsword in three sweeping strikes that knock up enemies hit by the edge.",
        "Aatrox heals for a percentage of the damage he deals and revives his fury in long fights.",
    ),
    (
        "Darius",
        "Darius",
        "the Hand of Noxus",
        ["Top"],
        "Juggernaut",
        "train",
        "Darius spins his axe, healing for each enemy champion struck by the blade.",
        "Darius stacks bleeding wounds and executes low health enemies with a guillotine dunk.",
    ),
    (
        "Garen",
        "Garen",
        "The Might of Demacia",
        ["Top"],
        "Juggernaut",
        "train",
        "Garen spins with his sword and silences an enemy with a decisive strike.",
        "Garen regenerates health quickly out of combat and executes the villain with justice.",
    ),
    (
        "Sett",
        "Sett",
        "the Boss",
        ["Top"],
        "Juggernaut",
        "validation",
        "Sett punches with alternating fists and stores grit from damage taken.",
        "Sett grabs an enemy champion and slams them into the ground, damaging those around.",
    ),
    (
        "Irelia",
        "Irelia",
        "the Blade Dancer",
        ["Top", "Middle"],
        "Diver",
        "train",
        "Irelia dashes through enemies with her blades and resets the dash on marked targets.",
        "Irelia stuns enemies caught between her two floating blades.",
    ),
    (
        "Vi",
        "Vi",
        "the Piltover Enforcer",
        ["Jungle"],
        "Diver",
        "validation",
        "Vi charges a punch that dashes forward and knocks back enemies.",
        "Vi locks onto an enemy champion, charging through everything to knock them up.",
    ),
    (
        "XinZhao",
        "Xin Zhao",
        "the Seneschal of Demacia",
        ["Jungle"],
        "Diver",
        "train",
        "Xin Zhao dashes to an enemy and slows them, striking three times to knock up.",
        "Xin Zhao sweeps his spear around him and blocks damage from enemies outside the circle.",
    ),
    (
        "Camille",
        "Camille",
        "the Steel Shadow",
        ["Top"],
        "Diver",
        "heldout",
        "Camille fires a hookshot to a wall and dashes from it onto an enemy, stunning them.",
        "Camille traps an enemy champion in a hextech arena she alone may leave.",
    ),
    (
        "Ahri",
        "Ahri",
        "the Nine-Tailed Fox",
        ["Middle"],
        "Burst",
        "train",
        "Ahri throws an orb that deals magic damage out and true damage on its return.",
        "Ahri dashes three times, firing spirit bolts, and charms enemies with a kiss.",
    ),
    (
        "Annie",
        "Annie",
        "the Dark Child",
        ["Middle", "Support"],
        "Burst",
        "train",
        "Annie casts fireballs and stuns enemies after every fourth spell.",
        "Annie summons her bear Tibbers to burn and stun a group of enemies.",
    ),
    (
        "Syndra",
        "Syndra",
        "the Dark Sovereign",
        ["Middle"],
        "Burst",
        "heldout",
        "Syndra conjures dark spheres and scatters them to stun enemies.",
        "Syndra fires every sphere at one enemy champion for a large burst of magic damage.",
    ),
    (
        "Ryze",
        "Ryze",
        "the Rune Mage",
        ["Middle", "Top"],
        "Battlemage",
        "train",
        "Ryze casts runic overloads in quick succession, scaling with his mana.",
        "Ryze opens a realm warp portal that teleports his allies across the map.",
    ),
    (
        "Zed",
        "Zed",
        "the Master of Shadows",
        ["Middle"],
        "Assassin",
        "train",
        "Zed sends living shadows ahead and swaps places with them to strike unseen.",
        "Zed marks an enemy for death and detonates the mark for the damage he dealt.",
    ),
    (
        "Talon",
        "Talon",
        "the Blade's Shadow",
        ["Middle", "Jungle"],
        "Assassin",
        "validation",
        "Talon vaults over terrain and leaps onto isolated targets to bleed them.",
        "Talon vanishes in a ring of blades that return to him, cutting enemies twice.",
    ),
    (
        "Khazix",
        "Kha'Zix",
        "the Voidreaver",
        ["Jungle"],
        "Assassin",
        "train",
        "Kha'Zix deals bonus damage to isolated enemies and evolves his abilities.",
        "Kha'Zix turns invisible and leaps onto a lone target to finish it.",
    ),
    (
        "Jinx",
        "Jinx",
        "the Loose Cannon",
        ["Bottom"],
        "Marksman",
        "train",
        "Jinx swaps between a minigun and a rocket launcher to shoot from long range.",
        "Jinx fires a mega rocket across the map that executes low health champions.",
    ),
    (
        "Caitlyn",
        "Caitlyn",
        "the Sheriff of Piltover",
        ["Bottom"],
        "Marksman",
        "validation",
        "Caitlyn places traps and fires headshots from the longest basic attack range.",
        "Caitlyn lines up an ace in the hole, a long range shot at one enemy champion.",
    ),
    (
        "Ashe",
        "Ashe",
        "the Frost Archer",
        ["Bottom", "Support"],
        "Marksman",
        "heldout",
        "Ashe fires volleys of frost arrows that slow every enemy her basic attacks hit.",
        "Ashe launches a crystal arrow across the map that stuns the first champion it hits.",
    ),
    (
        "MissFortune",
        "Miss Fortune",
        "the Bounty Hunter",
        ["Bottom"],
        "Marksman",
        "train",
        "Miss Fortune bounces her shots between targets and gains speed out of combat.",
        "Miss Fortune channels a bullet time barrage of shots in a wide cone.",
    ),
    (
        "Soraka",
        "Soraka",
        "the Starchild",
        ["Support"],
        "Enchanter",
        "train",
        "Soraka heals her allies with astral infusion, paying with her own health.",
        "Soraka wishes to restore health to every allied champion across the map.",
    ),
    (
        "Janna",
        "Janna",
        "the Storm's Fury",
        ["Support"],
        "Enchanter",
        "validation",
        "Janna shields an ally and grants them bonus attack damage with a gust of wind.",
        "Janna knocks back enemies with a monsoon and heals nearby allies.",
    ),
    (
        "Lulu",
        "Lulu",
        "the Fae Sorceress",
        ["Support"],
        "Enchanter",
        "heldout",
        "Lulu polymorphs enemies into harmless critters and speeds up her allies.",
        "Lulu makes an ally wild growth huge, knocking up enemies around them.",
    ),
    (
        "Thresh",
        "Thresh",
        "the Chain Warden",
        ["Support"],
        "Catcher",
        "train",
        "Thresh hooks an enemy with his sickle and pulls himself to them.",
        "Thresh throws out a lantern that allies can click to dash to his side.",
    ),
    (
        "Blitzcrank",
        "Blitzcrank",
        "the Great Steam Golem",
        ["Support"],
        "Catcher",
        "validation",
        "Blitzcrank grabs an enemy with his rocket fist and pulls them to him.",
        "Blitzcrank knocks up with a power fist and silences enemies around him.",
    ),
    (
        "Leona",
        "Leona",
        "the Radiant Dawn",
        ["Support"],
        "Vanguard",
        "train",
        "Leona dashes to an enemy with her zenith blade and stuns them with her shield.",
        "Leona calls down a solar flare that stuns enemies at its center and slows those around.",
    ),
    (
        "Malphite",
        "Malphite",
        "Shard of the Monolith",
        ["Top"],
        "Vanguard",
        "train",
        "Malphite shields himself with granite and gains armor to bully attackers.",
        "Malphite becomes an unstoppable force, charging into enemies to knock them up.",
    ),
    (
        "Braum",
        "Braum",
        "the Heart of the Freljord",
        ["Support"],
        "Warden",
        "train",
        "Braum leaps to protect an ally and raises his shield to block projectiles.",
        "Braum slams the ground, sending a fissure that knocks up enemies in a line.",
    ),
]


def champion_rows() -> list[dict]:
    return [
        {
            "champion_key": key,
            "name": name,
            "title": title,
            "positions": positions,
            "classes": [CLASS_OF[subclass]],
            "subclasses": [subclass],
            "sources": ["meraki"],
            "embedding_split": split,
        }
        for key, name, title, positions, subclass, split, *_ in CHAMPIONS
    ]


def _id(*parts: str) -> str:
    return hashlib.md5("|".join(parts).encode()).hexdigest()


def mask_term_rows() -> list[dict]:
    """main.champion_mask_terms as the model builds it (no ability names in these fixtures)."""
    return [
        {"champion": key, "mask_terms": [name, key, *[part for part in name.split() if len(part) >= 4]]}
        for key, name, *_ in CHAMPIONS
    ]


def chunk_rows() -> list[dict]:
    rows = []
    for key, _name, _title, _pos, _sub, split, *texts in CHAMPIONS:
        chunk_split = "train" if split == "train" else "validation"
        for i, text in enumerate(texts):
            rows.append(
                {
                    "chunk_id": _id(key, str(i)),
                    "document_id": _id(key),
                    "source": "wiki",
                    "champion": key,
                    "section": "Abilities",
                    "text": text,
                    "n_tokens": len(text.split()),
                    "split": chunk_split,
                }
            )
    return rows


def _shares(a: dict, b: dict, column: str) -> bool:
    """Whether champions ``a`` and ``b`` share a value of the list ``column``."""
    return bool(set(a[column]) & set(b[column]))


def triplet_rows(per_anchor: int = 4, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    champions = champion_rows()
    chunks: dict[str, list[str]] = {}
    for row in chunk_rows():
        chunks.setdefault(row["champion"], []).append(row["text"])
    rows = []
    for split in ("train", "validation"):
        pool = [c for c in champions if c["embedding_split"] == split]
        negatives_pool = [c for c in champions if c["embedding_split"] in ("train", split)]
        for a in pool:
            positives = [b for b in pool if b is not a and (_shares(a, b, "subclasses") or _shares(a, b, "positions"))]
            negatives = [
                b for b in negatives_pool if not _shares(a, b, "subclasses") and not _shares(a, b, "positions")
            ]
            for i in range(per_anchor):
                n = rng.choice(negatives)
                if positives:
                    p = rng.choice(positives)
                    rows.append(_triplet("champion", a["name"], p["name"], n["name"], a, p, n, "shared_role", split))
                rows.append(
                    _triplet(
                        "text",
                        a["name"],
                        chunks[a["champion_key"]][i % 2],
                        rng.choice(chunks[n["champion_key"]]),
                        a,
                        a,
                        n,
                        "name_to_chunk",
                        split,
                    )
                )
    return rows


def _triplet(kind, anchor, positive, negative, a, p, n, rule, split) -> dict:
    return {
        "triplet_id": _id(kind, anchor, positive, negative, split),
        "kind": kind,
        "anchor": anchor,
        "positive": positive,
        "negative": negative,
        "anchor_champion": a["champion_key"],
        "positive_champion": p["champion_key"],
        "negative_champion": n["champion_key"],
        "rule": rule,
        "split": split,
    }


def instruct_rows() -> list[dict]:
    rows = []
    for key, name, title, positions, subclass, split, *texts in CHAMPIONS:
        pair_split = "train" if split == "train" else "validation"
        questions = [
            (f"What does {name} do?", texts[0]),
            (
                f"Where is {name} played and what kind of champion is it?",
                f"{name}, {title}, is a {subclass.lower()} played {' or '.join(positions)}.",
            ),
        ]
        for i, (question, answer) in enumerate(questions):
            rows.append(
                {
                    "pair_id": _id("pair", key, str(i)),
                    "kind": "factual",
                    "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
                    "champion": key,
                    "split": pair_split,
                    "source_ids": [_id(key, "0")],
                }
            )
    return rows
