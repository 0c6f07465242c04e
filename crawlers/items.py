"""What spiders yield: documents (text to learn from) and champion fact sets.

Items are dataclasses (Scrapy handles them through ``itemadapter``).  Each
carries its ``content_hash`` so the pipeline can tell, without looking at the
payload again, whether the source changed since the last crawl.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import InitVar, dataclass, field
from datetime import datetime


def content_hash(*parts: object) -> str:
    """A stable sha256 over ``parts`` (JSON-encoded, so dicts and lists hash the same every time)."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class DocumentItem:
    """One passage of text from a source; one ``raw.documents`` row per version.

    ``url`` must be unique within ``source``: a page split into passages gives
    each passage its own fragment (``page#Section/Sub``).
    """

    source: str
    url: str
    text: str
    title: str | None = None
    champion: str | None = None
    entity: str | None = None
    entity_type: str | None = None
    section_path: str = ""
    html: str | None = None
    language: str = "en"
    revision_id: str | None = None
    etag: str | None = None
    content_hash: str = ""
    #: Bytes of the page (or of this text or html) before it was cut at RIFTLAB_MAX_PAGE_BYTES; None: not cut.
    truncated_from_bytes: int | None = None
    #: Who wrote it, when (UTC), and its score when landed (forum posts and comments).
    author: str | None = None
    created_at: datetime | None = None
    score: int | None = None
    #: The page a link post points to (the document's own url is its permalink).
    link_url: str | None = None
    #: What it answers: the fullname of the parent post (``t3_...``) or comment (``t1_...``), the thread tree.
    parent_entity: str | None = None

    def __post_init__(self) -> None:
        if not self.content_hash:
            # revision ids, etags and scores change without the content changing: leave them out.
            parts = [self.title, self.champion, self.entity, self.entity_type, self.section_path, self.text, self.html]
            extra = [self.author, self.created_at, self.link_url, self.parent_entity]
            if any(value is not None for value in extra):  # (documents without them keep their old hashes)
                parts.append(extra)
            self.content_hash = content_hash(*parts)


@dataclass
class FactsItem:
    """Every fact one source states about one champion, landed (or skipped) together.

    ``facts`` holds ``(fact_type, value)`` pairs.  ``content_hash`` is always computed here, over the
    champion's ``entry`` in the source (an init-only argument, not kept) *and* the facts, so an unchanged
    entry lands nothing while a spider that reads more of it (a newer field) lands the new facts once;
    without an ``entry``, over the champion and its sorted facts.
    """

    source: str
    champion: str
    url: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    entry: InitVar[object] = None
    content_hash: str = field(init=False, default="")

    def __post_init__(self, entry: object) -> None:
        if entry is not None:
            self.content_hash = content_hash(entry, self.facts)
        else:
            self.content_hash = content_hash(self.champion, sorted(self.facts))
