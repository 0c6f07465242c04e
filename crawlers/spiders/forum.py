"""A Reddit-style forum: JSON listings paged by ``after``, with a flair allow-list.

Only threads whose flair is in ``sources.forum.flairs`` are kept (an empty list
keeps all): most of a game forum is clips and memes, and only discussion,
guides and questions teach anything.  For each kept thread the spider lands
the post and, with ``comments: true``, its comment tree (``<permalink>.json``).
"""

from __future__ import annotations

import html as html_lib
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawlers.failures import BadInput
from crawlers.items import DocumentItem
from crawlers.markup import html_to_text
from crawlers.spiders.base import RiftSpider


def with_after(url: str, after: str) -> str:
    """``url`` with its ``after`` query parameter set (other parameters kept, order stable)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "after"]
    query.append(("after", after))
    return urlunsplit(parts._replace(query=urlencode(sorted(query))))


def _listing_children(payload: Any, what: str) -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(payload, dict) or payload.get("kind") != "Listing" or not isinstance(payload.get("data"), dict):
        raise BadInput(f"{what}: expected a Listing object with data", str(payload)[:300])
    data = payload["data"]
    children = data.get("children")
    if not isinstance(children, list):
        raise BadInput(f"{what}: missing expected field data.children", str(payload)[:300])
    return [c.get("data") or {} for c in children if isinstance(c, dict)], data.get("after")


class ForumSpider(RiftSpider):
    name = "forum"

    async def start(self):
        for url in self.start_urls:
            yield self.request(url, self.parse, cb_kwargs={"page": 1})

    @property
    def flairs(self) -> set[str]:
        return {f.lower() for f in self.options.get("flairs") or []}

    def parse(self, response, page: int = 1):
        threads, after = _listing_children(self.json_of(response), "listing")
        allowed = self.flairs
        for thread in threads:
            self.require(thread, "id", "title", "permalink", what="thread")
            flair = thread.get("link_flair_text") or ""
            if allowed and flair.lower() not in allowed:
                self.crawler.stats.inc_value("riftlab/forum_skipped_flair")
                continue
            thread_url = response.urljoin(thread["permalink"])
            yield self.thread_document(thread, thread_url, response)
            if self.options.get("comments", True) and thread.get("num_comments", 1):
                yield self.request(
                    thread_url.rstrip("/") + ".json",
                    self.parse_comments,
                    cb_kwargs={"thread": thread, "thread_url": thread_url},
                )
        max_pages = int(self.options.get("max_pages") or 0)
        if after and (not max_pages or page < max_pages):
            yield self.request(with_after(response.url, after), self.parse, cb_kwargs={"page": page + 1})

    def thread_document(self, thread: dict[str, Any], url: str, response) -> DocumentItem:
        body_html = html_lib.unescape(thread["selftext_html"]) if thread.get("selftext_html") else None
        body = html_to_text(body_html) if body_html else (thread.get("selftext") or "")
        return DocumentItem(
            source=self.name,
            url=url,
            entity=f"t3_{thread['id']}",
            entity_type="thread",
            title=thread["title"],
            section_path=thread.get("link_flair_text") or "",
            text=f"{thread['title']}\n\n{body}".strip(),
            html=body_html,
            revision_id=str(thread["edited"]) if thread.get("edited") else None,
            etag=self.etag_of(response),
        )

    def parse_comments(self, response, thread: dict[str, Any], thread_url: str):
        payload = self.json_of(response)
        if not isinstance(payload, list) or len(payload) < 2:
            raise BadInput("comments: expected [post listing, comment listing]", response.body)
        comments, _ = _listing_children(payload[1], "comment listing")
        stack = list(reversed(comments))
        while stack:
            comment = stack.pop()
            if not comment.get("body") or comment.get("body") in ("[deleted]", "[removed]"):
                continue
            self.require(comment, "id", what="comment")
            body_html = html_lib.unescape(comment["body_html"]) if comment.get("body_html") else None
            yield DocumentItem(
                source=self.name,
                url=f"{thread_url}#t1_{comment['id']}",
                entity=f"t1_{comment['id']}",
                entity_type="post",
                title=thread["title"],
                section_path=" > ".join(p for p in (thread.get("link_flair_text") or "", "Comments") if p),
                text=html_to_text(body_html) if body_html else comment["body"],
                html=body_html,
                etag=self.etag_of(response),
            )
            replies = comment.get("replies")
            if isinstance(replies, dict):
                children, _ = _listing_children(replies, "replies")
                stack.extend(reversed(children))
