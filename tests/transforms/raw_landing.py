"""A small, hand-written raw landing (the shape crawlers land) for transform tests.

Eight champions with Meraki-style facts and ability passages that carry the patch-dependent
numbers the rules must remove, plus a Data Dragon view and a coaching source that disagrees.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

FETCHED = datetime(2025, 10, 1, 12, 0, 0)

# key: (name, title, positions, subclasses, ddragon tags)
CHAMPIONS = {
    "Garen": ("Garen", "The Might of Demacia", ["TOP"], ["JUGGERNAUT"], ["Fighter", "Tank"]),
    "Darius": ("Darius", "the Hand of Noxus", ["TOP"], ["JUGGERNAUT"], ["Fighter", "Tank"]),
    "Ahri": ("Ahri", "the Nine-Tailed Fox", ["MIDDLE"], ["BURST"], ["Mage", "Assassin"]),
    "Lux": ("Lux", "the Lady of Luminosity", ["MIDDLE", "SUPPORT"], ["BURST"], ["Mage", "Support"]),
    "Leona": ("Leona", "the Radiant Dawn", ["SUPPORT"], ["VANGUARD"], ["Tank", "Support"]),
    "Braum": ("Braum", "the Heart of the Freljord", ["SUPPORT"], ["WARDEN"], ["Tank", "Support"]),
    "Jinx": ("Jinx", "the Loose Cannon", ["BOTTOM"], ["MARKSMAN"], ["Marksman"]),
    "MonkeyKing": ("Wukong", "the Monkey King", ["TOP", "JUNGLE"], ["DIVER"], ["Fighter", "Tank"]),
}

ABILITIES = {
    "Garen": [
        (
            "Q",
            "Decisive Strike",
            (
                "Garen breaks free from all slows and gains 30% / 35% / 40% / 45% / 50% bonus movement speed for 0.65 "
                "/ 1.3 / 1.95 / 2.6 / 3.25 seconds. His next basic attack silences the target. Cooldown: 8"
            ),
        ),
        (
            "E",
            "Judgment",
            (
                "Garen rapidly spins his sword around his body for 3 seconds, dealing physical damage to nearby "
                "enemies. As of patch V14.3, Judgment can critically strike."
            ),
        ),
    ],
    "Darius": [
        (
            "Q",
            "Decimate",
            (
                "Darius swings his axe in a circle, dealing 50 / 80 / 110 / 140 / 170 (+ 100% - 140% AD) physical "
                "damage. He heals for 13% - 39% (based on level) of damage dealt for each enemy champion hit by the "
                "blade."
            ),
        ),
        ("E", "Apprehend", "Darius pulls all enemies in a cone towards him. Range: 535 units. Cost: 45 mana"),
    ],
    "Ahri": [
        (
            "Q",
            "Orb of Deception",
            (
                "Ahri throws her orb, dealing magic damage on the way out and true damage on the way back. Cooldown: 7 "
                "seconds"
            ),
        ),
        (
            "R",
            "Spirit Rush",
            (
                "Ahri dashes 500 units in the target direction and fires essence bolts at up to 3 nearby enemies. She "
                "can recast it twice within 10 seconds."
            ),
        ),
    ],
    "Lux": [
        (
            "Q",
            "Light Binding",
            "Lux releases a sphere of light that roots up to 2 enemies for 2 seconds and deals 80 magic damage.",
        ),
    ],
    "Leona": [
        (
            "E",
            "Zenith Blade",
            (
                "Leona projects a solar image of her sword and dashes to the first enemy champion hit, rooting them. "
                "This was changed in patch 13.1 to root for longer."
            ),
        ),
        (
            "R",
            "Solar Flare",
            (
                "Leona calls down a beam of solar energy that stuns enemies in the centre and slows those around it by "
                "80%."
            ),
        ),
    ],
    "Braum": [
        (
            "R",
            "Glacial Fissure",
            (
                "Braum slams the ground, knocking up enemies nearby and in a line, and creates a fissure that slows "
                "enemies. 150 / 250 / 350 (+ 60% AP) magic damage."
            ),
        ),
    ],
    "Jinx": [
        (
            "Q",
            "Switcheroo!",
            (
                "Jinx swaps between Pow-Pow, her minigun, which gains attack speed, and Fishbones, her rocket "
                "launcher, which deals area damage."
            ),
        ),
        (
            "R",
            "Super Mega Death Rocket!",
            (
                "Jinx fires a rocket that explodes on the first enemy champion, dealing more damage to enemies with "
                "missing health."
            ),
        ),
    ],
    "MonkeyKing": [
        (
            "W",
            "Warrior Trickster",
            "Wukong dashes in a direction and leaves a decoy behind while becoming invisible for 1 second.",
        ),
    ],
}


def _hash(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def documents() -> list[dict]:
    rows = []

    def add(source, url, champion, title, section, text, entity_type="ability", html=None):
        body = text or html
        rows.append(
            dict(
                document_version_id=_hash(source + url + body),
                source=source,
                url=url,
                champion=champion,
                entity=title,
                entity_type=entity_type,
                title=title,
                section_path=section,
                text=text,
                html=html,
                language="en",
                revision_id=None,
                etag=None,
                content_hash=_hash(body),
                fetched_at=FETCHED,
                crawl_run_id="fixture",
            )
        )

    for key, abilities in ABILITIES.items():
        name = CHAMPIONS[key][0]
        for slot, ability, text in abilities:
            add("meraki", f"http://127.0.0.1/meraki/{key}/{slot}", key, name, f"Abilities > {slot} > {ability}", text)
        add(
            "wiki",
            f"http://127.0.0.1/wiki/{key}#Patch_history",
            name,
            name,
            "Patch history",
            f"V14.3: {name}'s base health increased to 650.",
            "champion",
        )
    # Two mirrored item pages (no champion): near-duplicates that must share a split.
    item = (
        "Sunfire Aegis grants its wearer an immolate aura that burns nearby enemies every second, and the burn "
        "grows stronger each time the wearer damages enemy champions, stacking several times over a short "
        "period. Tanks build it to clear waves and punish enemies who stay close in long fights."
    )
    add("wiki", "http://127.0.0.1/wiki/Sunfire_Aegis", None, "Sunfire Aegis", "", item, "item")
    add(
        "forum",
        "http://127.0.0.1/forum/t/1",
        None,
        "Sunfire mirror",
        "",
        item.replace("Tanks build", "Tank players build"),
        "thread",
    )
    # An HTML-only passage.
    add(
        "wiki",
        "http://127.0.0.1/wiki/Baron",
        None,
        "Baron Nashor",
        "Baron Nashor > Overview",
        None,
        "monster",
        html="<div><p>Baron Nashor <b>empowers</b> the team that slays it.</p><nav>Navigation menu</nav></div>",
    )
    return rows


def facts() -> list[dict]:
    rows = []
    for key, (name, title, positions, subclasses, tags) in CHAMPIONS.items():
        meraki = (
            [("name", name), ("title", title)]
            + [("position", p) for p in positions]
            + [("subclass", s) for s in subclasses]
        )
        meraki += [("ability_name", ability) for _, ability, _ in ABILITIES.get(key, [])]
        for fact_type, value in meraki:
            rows.append(
                dict(
                    champion=key,
                    fact_type=fact_type,
                    value=value,
                    source="meraki",
                    url=None,
                    content_hash=_hash(key + "meraki"),
                    fetched_at=FETCHED,
                    crawl_run_id="fixture",
                )
            )
        for fact_type, value in [("name", name), ("title", title)] + [("tag", t) for t in tags]:
            rows.append(
                dict(
                    champion=key,
                    fact_type=fact_type,
                    value=value,
                    source="ddragon",
                    url=None,
                    content_hash=_hash(key + "ddragon"),
                    fetched_at=FETCHED,
                    crawl_run_id="fixture",
                )
            )
    # A coaching site that plays Garen in the middle lane too: a conflict, Meraki wins.
    for position in ("TOP", "MIDDLE"):
        rows.append(
            dict(
                champion="Garen",
                fact_type="position",
                value=position,
                source="coaching",
                url=None,
                content_hash=_hash("garen-coaching"),
                fetched_at=FETCHED,
                crawl_run_id="fixture",
            )
        )
    return rows


def land(project) -> None:
    con = project.connect()
    try:
        con.register("landing_documents", pl.DataFrame(documents(), infer_schema_length=None))
        con.register("landing_facts", pl.DataFrame(facts(), infer_schema_length=None))
        con.execute("INSERT INTO raw.documents BY NAME SELECT * FROM landing_documents")
        con.execute("INSERT INTO raw.facts BY NAME SELECT * FROM landing_facts")
    finally:
        con.close()
