"""Meraki Analytics ``champions.json``: positions, subclasses, abilities and lore.

One request gives every champion.  Per champion the spider yields one
:class:`FactsItem` (name, title, positions, subclasses, attack type, adaptive damage type,
resource, the client's attribute ratings as ``rating_*``, ability names) and documents: one per
ability (``Abilities > Q > The Darkin Blade``) and the lore.  A champion entry missing expected fields is recorded
as a crawl error; the other champions still land.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from crawlers.failures import BadInput, record_failure
from crawlers.items import DocumentItem, FactsItem
from crawlers.markup import html_to_text
from crawlers.spiders.base import RiftSpider

SLOTS = ("P", "Q", "W", "E", "R")
SLOT_NAMES = {"P": "Passive", "Q": "Q", "W": "W", "E": "E", "R": "R"}
REQUIRED = ("key", "name", "title", "positions", "roles", "abilities")


def _leveling_lines(effect: dict[str, Any]) -> list[str]:
    """``Magic Damage: 80 / 120 / 160 (+ 80% AP)`` lines from an effect's leveling table."""
    lines = []
    for level in effect.get("leveling") or []:
        parts = []
        for modifier in level.get("modifiers") or []:
            values, unit = str(modifier.get("values", "")).strip(), str(modifier.get("unit", "") or "").strip()
            if values:
                parts.append(f"{values}{unit}" if not parts else f"(+ {values}{unit})")
        if level.get("attribute") and parts:
            lines.append(f"{level['attribute']}: {' '.join(parts)}")
    return lines


def ability_text(ability: dict[str, Any]) -> tuple[str, str | None]:
    """(text, html) of one ability: blurb, effects with their numbers, cost, cooldown and notes."""
    text_parts: list[str] = []
    html_parts: list[str] = []
    if ability.get("blurb"):
        text_parts.append(html_to_text(ability["blurb"]))
    for effect in ability.get("effects") or []:
        description = effect.get("description") or ""
        if "<" in description:
            html_parts.append(description)
        text_parts.append(html_to_text(description))
        text_parts.extend(_leveling_lines(effect))
    for field, label in (
        ("cost", "Cost"),
        ("cooldown", "Cooldown"),
        ("castTime", "Cast time"),
        ("targetRange", "Range"),
    ):
        value = ability.get(field)
        if value not in (None, "", "0"):
            text_parts.append(f"{label}: {value}")
    if ability.get("notes"):
        text_parts.append("Notes: " + html_to_text(ability["notes"]))
    text = "\n".join(part for part in text_parts if part)
    return text, ("".join(html_parts) or None)


def rating_facts(prefix: str, ratings: Any) -> list[tuple[str, str]]:
    """``(prefix_<snake name>, value)`` per numeric rating (``abilityReliance: 20`` -> ``rating_ability_reliance``)."""
    if not isinstance(ratings, dict):
        return []
    return [
        (f"{prefix}_{re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()}", str(value))
        for name, value in sorted(ratings.items())
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]


class MerakiSpider(RiftSpider):
    name = "meraki"

    def parse(self, response):
        champions = self.json_of(response)
        if isinstance(champions, list):
            champions = {
                entry.get("key", str(i)): entry for i, entry in enumerate(champions) if isinstance(entry, dict)
            }
        if not isinstance(champions, dict) or not champions:
            raise BadInput("champions.json: expected a non-empty object keyed by champion", response.body)
        etag = self.etag_of(response)
        for key, entry in champions.items():
            problem = self._problem(key, entry)
            if problem:
                record_failure(self.crawler, self, f"{response.url}#{key}", problem, str(entry)[:300])
                continue
            yield from self.champion_items(response.url, entry, etag)

    @staticmethod
    def _problem(key: str, entry: Any) -> str | None:
        if not isinstance(entry, dict):
            return f"champion {key}: expected an object, got {type(entry).__name__}"
        missing = [field for field in REQUIRED if entry.get(field) in (None, "")]
        if missing:
            return f"champion {key}: missing expected field(s) {', '.join(missing)}"
        if not isinstance(entry["abilities"], dict):
            return f"champion {key}: abilities must be an object keyed P/Q/W/E/R"
        return None

    def champion_items(self, url: str, entry: dict[str, Any], etag: str | None):
        key = entry["key"]
        abilities = entry["abilities"]
        facts: list[tuple[str, str]] = [("name", entry["name"]), ("title", entry["title"])]
        facts += [("position", p) for p in entry["positions"]]
        facts += [("subclass", r) for r in entry["roles"]]
        for fact_type, field in (
            ("attack_type", "attackType"),
            ("adaptive_type", "adaptiveType"),
            ("resource", "resource"),
        ):
            if entry.get(field):
                facts.append((fact_type, str(entry[field])))
        facts += rating_facts("rating", entry.get("attributeRatings"))
        for slot in SLOTS:
            for ability in abilities.get(slot) or []:
                if ability.get("name"):
                    facts.append(("ability_name", ability["name"]))
        yield FactsItem(source=self.name, champion=key, url=f"{url}#{key}", facts=facts, entry=entry)

        for slot in SLOTS:
            entries = abilities.get(slot) or []
            for index, ability in enumerate(entries, start=1):
                name = ability.get("name") or f"{SLOT_NAMES[slot]} {index}"
                text, html = ability_text(ability)
                if not text:
                    continue
                fragment = f"{key}/{slot}" if len(entries) == 1 else f"{key}/{slot}/{index}"
                yield DocumentItem(
                    source=self.name,
                    url=f"{url}#{quote(fragment)}",
                    champion=key,
                    entity=name,
                    entity_type="ability",
                    title=f"{entry['name']} {SLOT_NAMES[slot]}: {name}",
                    section_path=f"Abilities > {slot} > {name}",
                    text=text,
                    html=html,
                    etag=etag,
                )
        if entry.get("lore"):
            yield DocumentItem(
                source=self.name,
                url=f"{url}#{quote(key)}/lore",
                champion=key,
                entity=entry["name"],
                entity_type="lore",
                title=f"{entry['name']}, {entry['title']}",
                section_path="Lore",
                text=html_to_text(entry["lore"]),
                etag=etag,
            )
