"""Riot Data Dragon ``champion.json``: tags, titles, names, ``info`` ratings (as ``info_*``) and blurbs."""

from __future__ import annotations

from urllib.parse import quote

from crawlers.failures import BadInput, record_failure
from crawlers.items import DocumentItem, FactsItem
from crawlers.spiders.base import RiftSpider
from crawlers.spiders.meraki import rating_facts

REQUIRED = ("id", "name", "title", "tags")


class DataDragonSpider(RiftSpider):
    name = "ddragon"

    def parse(self, response):
        payload = self.json_of(response)
        self.require(payload, "data", what="champion.json")
        data = payload["data"]
        if not isinstance(data, dict) or not data:
            raise BadInput("champion.json: 'data' must be a non-empty object keyed by champion id", response.body)
        version = str(payload.get("version") or "")
        etag = self.etag_of(response)
        for key, entry in data.items():
            missing = [f for f in REQUIRED if not isinstance(entry, dict) or entry.get(f) in (None, "")]
            if missing:
                record_failure(
                    self.crawler,
                    self,
                    f"{response.url}#{key}",
                    f"champion {key}: missing expected field(s) {', '.join(missing)}",
                    str(entry)[:300],
                )
                continue
            champion = entry["id"]
            facts = [("name", entry["name"]), ("title", entry["title"])] + [("tag", t) for t in entry["tags"]]
            facts += rating_facts("info", entry.get("info"))
            yield FactsItem(
                source=self.name,
                champion=champion,
                url=f"{response.url}#{champion}",
                facts=facts,
                entry={k: v for k, v in entry.items() if k != "version"},
            )
            if entry.get("blurb"):
                yield DocumentItem(
                    source=self.name,
                    url=f"{response.url}#{quote(champion)}",
                    champion=champion,
                    entity=entry["name"],
                    entity_type="champion",
                    title=f"{entry['name']}, {entry['title']}",
                    section_path="Blurb",
                    text=entry["blurb"],
                    revision_id=version or None,
                    etag=etag,
                )
