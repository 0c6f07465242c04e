"""reddit: JSON listings paged by ``after``, thread trees, collapsed comments, and the OAuth API.

Only threads whose flair is in ``sources.forum.flairs`` are kept (an empty list keeps all): most of
a game forum is clips and memes.  For each kept thread the spider lands the post and, with
``comments: true``, its whole comment tree (``<permalink>.json``, or a thread page given as a start
URL):

- every live comment lands, whatever became of its parent: a ``[deleted]`` or ``[removed]``
  comment's own body is not text, but the replies under it are (``parent_entity`` keeps the tree);
- ``more`` stubs (collapsed comments) are expanded through ``/api/morechildren`` (100 ids a request)
  and "continue this thread" stubs through the comment's own page, up to ``sources.forum.more_budget``
  requests per crawl; what is left collapsed is counted (``riftlab/forum_more_left``);
- text lands as reddit decoded it (``selftext``, ``body``: markdown, never HTML), in ``text`` with
  ``html`` NULL, so "I <3 this champ. Max Q > E > W" stays whole; the legacy JSON's ``&lt; &gt; &amp;``
  are undone (the OAuth API is asked for ``raw_json=1``);
- link posts keep their target (``link_url``); posts and comments keep ``author``, ``score`` and
  ``created_at``.

reddit.com's robots.txt disallows everything: with the client id and secret of a reddit app in
``RIFTLAB_REDDIT_CLIENT_ID`` / ``RIFTLAB_REDDIT_CLIENT_SECRET`` the spider reads the OAuth API instead
(:mod:`crawlers.reddit_auth`), an API that robots.txt does not govern.
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawlers import failures
from crawlers.failures import BadInput, Blocked
from crawlers.items import DocumentItem
from crawlers.reddit_auth import CLIENT_ID, CLIENT_SECRET, Credentials, Token, TokenRefused, api_url, fetch_token
from crawlers.reddit_auth import user_agent as reddit_agent
from crawlers.spiders.base import RiftSpider

#: Bodies reddit leaves in place of a comment that is gone (its replies stay).
GONE = {"[deleted]", "[removed]"}
#: The most comment ids one /api/morechildren request may ask for.
MORECHILDREN_IDS = 100

OAUTH_HINT = (
    f"set {CLIENT_ID} and {CLIENT_SECRET} (a script app at https://www.reddit.com/prefs/apps) "
    "to read reddit through its OAuth API"
)


def with_after(url: str, after: str) -> str:
    """``url`` with its ``after`` query parameter set (other parameters kept, order stable)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "after"]
    query.append(("after", after))
    return urlunsplit(parts._replace(query=urlencode(sorted(query))))


def listing_things(payload: Any, what: str) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """``[(kind, data)]`` of a ``Listing`` and its ``after``."""
    if not isinstance(payload, dict) or payload.get("kind") != "Listing" or not isinstance(payload.get("data"), dict):
        raise BadInput(f"{what}: expected a Listing object with data", str(payload)[:300])
    data = payload["data"]
    children = data.get("children")
    if not isinstance(children, list):
        raise BadInput(f"{what}: missing expected field data.children", str(payload)[:300])
    things = [(c.get("kind") or "", c.get("data") or {}) for c in children if isinstance(c, dict)]
    return things, data.get("after")


def created_at(data: dict[str, Any]) -> datetime | None:
    stamp = data.get("created_utc")
    if not isinstance(stamp, int | float):
        return None
    return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)


def author_of(data: dict[str, Any]) -> str | None:
    author = data.get("author")
    return None if not author or author == "[deleted]" else str(author)


def score_of(data: dict[str, Any]) -> int | None:
    score = data.get("score")
    return int(score) if isinstance(score, int | float) and not isinstance(score, bool) else None


@dataclass
class Thread:
    """What the comments of one thread share while its pages and expansions arrive."""

    post: dict[str, Any]
    url: str
    #: fullnames of the comments landed or seen gone (an expansion may repeat a comment)
    seen: set[str] = field(default_factory=set)
    #: fullnames of gone comments and of every comment under one
    gone: set[str] = field(default_factory=set)

    @property
    def link_id(self) -> str:
        return self.post.get("name") or f"t3_{self.post['id']}"

    @property
    def flair(self) -> str:
        return self.post.get("link_flair_text") or ""


class ForumSpider(RiftSpider):
    name = "forum"

    robots_hint = "reddit's robots.txt has disallowed every path since July 2024: " + OAUTH_HINT
    blocked_hint = "reddit blocks unauthenticated clients: " + OAUTH_HINT
    nothing_found_hint = (
        "the listing held no thread with an allowed flair: check sources.forum.flairs ([] keeps all) and the start URLs"
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.credentials: Credentials | None = None
        self.token: Token | None = None
        #: where documents' permalinks live (the first start URL's site), whichever host serves the JSON
        self.site = ""
        self.more_requests = 0

    @classmethod
    def check_environment(cls) -> None:
        """Refuse half-set credentials before any crawl starts (one line naming the missing variable)."""
        Credentials.from_env()

    # -- requests --------------------------------------------------------------------------------
    @property
    def more_budget(self) -> int:
        return int(self.options.get("more_budget", 20) or 0)

    @property
    def reddit_user_agent(self) -> str:
        return reddit_agent(self.crawler.settings.get("USER_AGENT") or "riftlab")

    async def start(self):
        if self.start_urls:
            parts = urlsplit(self.start_urls[0])
            self.site = f"{parts.scheme}://{parts.netloc}"
        # (the bundled fixture site is no reddit: its crawl never uses reddit's credentials)
        self.credentials = None if self.options.get("offline") else Credentials.from_env()
        if self.credentials is not None:
            token_url = self.token_url
            try:
                self.token = fetch_token(self.credentials, token_url, self.reddit_user_agent)
            except TokenRefused as exc:
                self.crawler.stats.set_value(failures.STAT_AUTH_REFUSED, str(exc))
                failures.record_failure(self.crawler, self, token_url, str(exc))
                return
            # the OAuth API is the only site this crawl reads (the offsite guard follows start_urls)
            self.start_urls = [self.api(url) for url in self.start_urls]
        for url in self.start_urls:
            yield self.request(url, self.parse, cb_kwargs={"page": 1})

    @property
    def token_url(self) -> str:
        return self.options.get("token_url") or "https://www.reddit.com/api/v1/access_token"

    def api(self, url: str) -> str:
        return api_url(url, self.options.get("api_base") or "https://oauth.reddit.com")

    def request(self, url: str, callback, **kwargs: Any):
        """A request with reddit's kind of User-Agent, and under OAuth, to the API with the bearer token."""
        headers = dict(kwargs.pop("headers", None) or {})
        headers["User-Agent"] = self.reddit_user_agent
        meta = dict(kwargs.pop("meta", None) or {})
        if self.credentials is not None and self.token is not None:
            if not self.token.fresh:
                self.token = fetch_token(self.credentials, self.token_url, self.reddit_user_agent)
            url = self.api(url)
            headers["Authorization"] = f"bearer {self.token.value}"
            meta["dont_obey_robotstxt"] = True  # an authenticated API, not pages for crawlers
        return super().request(url, callback, headers=headers, meta=meta, **kwargs)

    def json_of(self, response) -> Any:
        """The JSON body; an HTML page in its place is reddit's block page, said as such."""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if "html" in content_type or response.body.lstrip()[:1] == b"<":
            raise Blocked(
                f"an HTML page (HTTP {response.status}) where reddit's JSON was asked for: a block page", response.body
            )
        return super().json_of(response)

    @staticmethod
    def plain(response, value: Any) -> str:
        """Text as its author wrote it: the legacy JSON escapes ``& < >`` (``raw_json=1`` does not)."""
        text = str(value or "")
        raw = dict(parse_qsl(urlsplit(response.url).query)).get("raw_json") == "1"
        return text if raw else html_lib.unescape(text)

    def permalink(self, path: str) -> str:
        return (self.site or "") + path if path.startswith("/") else path

    # -- listings ------------------------------------------------------------------------------
    @property
    def flairs(self) -> set[str]:
        return {f.lower() for f in self.options.get("flairs") or []}

    def parse(self, response, page: int = 1):
        payload = self.json_of(response)
        if isinstance(payload, list):  # a thread page given as a start URL
            yield from self.parse_thread(response, payload, with_post=True)
            return
        things, after = listing_things(payload, "listing")
        allowed = self.flairs
        for kind, post in things:
            if kind != "t3":
                continue
            self.require(post, "id", "title", "permalink", what="thread")
            flair = post.get("link_flair_text") or ""
            if allowed and flair.lower() not in allowed:
                self.crawler.stats.inc_value("riftlab/forum_skipped_flair")
                continue
            thread = Thread(post=post, url=self.permalink(post["permalink"]))
            yield self.thread_document(response, thread)
            if self.options.get("comments", True) and post.get("num_comments", 1):
                yield self.request(thread.url.rstrip("/") + ".json", self.parse_comments, cb_kwargs={"thread": thread})
        max_pages = int(self.options.get("max_pages") or 0)
        if after and (not max_pages or page < max_pages):
            yield self.request(with_after(response.url, after), self.parse, cb_kwargs={"page": page + 1})

    def thread_document(self, response, thread: Thread) -> DocumentItem:
        post = thread.post
        title = self.plain(response, post["title"])
        body = self.plain(response, post.get("selftext"))
        link = post.get("url") if post.get("is_self") is False else None
        return DocumentItem(
            source=self.name,
            url=thread.url,
            entity=thread.link_id,
            entity_type="thread",
            title=title,
            section_path=thread.flair,
            text=f"{title}\n\n{body}".strip(),
            revision_id=str(post["edited"]) if post.get("edited") else None,
            etag=self.etag_of(response),
            author=author_of(post),
            created_at=created_at(post),
            score=score_of(post),
            link_url=link,
        )

    # -- comments ------------------------------------------------------------------------------
    def parse_comments(self, response, thread: Thread):
        yield from self.parse_thread(response, self.json_of(response), thread=thread)

    def parse_thread(self, response, payload: Any, thread: Thread | None = None, with_post: bool = False):
        """A thread page, ``[post listing, comment listing]``: its comment tree (and the post, for a start URL)."""
        if not isinstance(payload, list) or len(payload) < 2:
            raise BadInput("thread page: expected [post listing, comment listing]", response.body)
        if thread is None:
            posts, _ = listing_things(payload[0], "post listing")
            post = next((data for kind, data in posts if kind == "t3"), None)
            self.require(post, "id", "title", "permalink", what="thread")
            if not self.site:
                self.site = "{0.scheme}://{0.netloc}".format(urlsplit(response.url))
            thread = Thread(post=post, url=self.permalink(post["permalink"]))
        if with_post:
            yield self.thread_document(response, thread)
        comments, _ = listing_things(payload[1], "comment listing")
        yield from self.walk(response, thread, comments)

    def walk(self, response, thread: Thread, things: list[tuple[str, dict[str, Any]]]):
        """Comments depth first (parents before their replies), replies of gone comments included."""
        stack = list(reversed(things))
        while stack:
            kind, data = stack.pop()
            if kind == "more":
                yield from self.expand(response, thread, data)
                continue
            if kind != "t1":
                continue
            item = self.comment(response, thread, data)
            if item is not None:
                yield item
            replies = data.get("replies")
            if isinstance(replies, dict):
                children, _ = listing_things(replies, "replies")
                stack.extend(reversed(children))

    def comment(self, response, thread: Thread, data: dict[str, Any]) -> DocumentItem | None:
        """One comment's document; None for a gone comment (its replies are walked all the same)."""
        self.require(data, "id", what="comment")
        name = data.get("name") or f"t1_{data['id']}"
        if name in thread.seen:
            return None
        thread.seen.add(name)
        parent = data.get("parent_id")
        stats = self.crawler.stats
        body = self.plain(response, data.get("body")).strip()
        if not body or body in GONE:
            thread.gone.add(name)
            stats.inc_value("riftlab/forum_gone")
            return None
        if parent in thread.gone:
            thread.gone.add(name)  # (its own replies are under a gone comment too)
            stats.inc_value("riftlab/forum_under_gone")
        stats.inc_value("riftlab/forum_comments")
        return DocumentItem(
            source=self.name,
            url=f"{thread.url}#{name}",
            entity=name,
            entity_type="post",
            title=self.plain(response, thread.post["title"]),
            section_path=" > ".join(p for p in (thread.flair, "Comments") if p),
            text=body,
            etag=self.etag_of(response),
            author=author_of(data),
            created_at=created_at(data),
            score=score_of(data),
            parent_entity=parent,
        )

    # -- collapsed comments --------------------------------------------------------------------
    def expand(self, response, thread: Thread, stub: dict[str, Any]):
        """Requests for a ``more`` stub's comments, within the crawl's budget; the rest is counted as left."""
        stats = self.crawler.stats
        stats.inc_value("riftlab/forum_more_stubs")
        ids = [str(i) for i in stub.get("children") or []]
        if not ids:
            # "continue this thread": the parent comment's own page holds the rest of its branch
            parent = stub.get("parent_id") or ""
            if not parent.startswith("t1_"):
                return
            if not self.spend(1):
                return
            yield self.request(
                f"{thread.url.rstrip('/')}/{parent[3:]}/.json", self.parse_comments, cb_kwargs={"thread": thread}
            )
            return
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(response.url))
        for start in range(0, len(ids), MORECHILDREN_IDS):
            chunk = ids[start : start + MORECHILDREN_IDS]
            if not self.spend(len(ids) - start):
                return
            query = urlencode(
                {"api_type": "json", "link_id": thread.link_id, "children": ",".join(chunk), "limit_children": "false"}
            )
            yield self.request(
                f"{origin}/api/morechildren.json?{query}",
                self.parse_more,
                cb_kwargs={"thread": thread, "asked": len(chunk)},
            )

    def spend(self, left: int) -> bool:
        """Take one request from the budget; False (and ``left`` comments counted as left collapsed) when spent."""
        if self.more_requests >= self.more_budget:
            self.crawler.stats.inc_value("riftlab/forum_more_left", left)
            return False
        self.more_requests += 1
        self.crawler.stats.inc_value("riftlab/forum_more_requests")
        return True

    def parse_more(self, response, thread: Thread, asked: int):
        """An ``/api/morechildren`` answer: a flat list of comments (parents named by ``parent_id``) and stubs."""
        payload = self.json_of(response)
        answer = payload.get("json") if isinstance(payload, dict) else None
        if not isinstance(answer, dict):
            raise BadInput("morechildren: expected {json: {errors, data: {things}}}", response.body)
        if answer.get("errors"):
            raise BadInput(f"morechildren: reddit answered errors {answer['errors']}", response.body)
        things = (answer.get("data") or {}).get("things")
        if not isinstance(things, list):
            raise BadInput("morechildren: missing expected field json.data.things", response.body)
        got = 0
        for thing in things:
            kind, data = (thing.get("kind"), thing.get("data") or {}) if isinstance(thing, dict) else ("", {})
            if kind == "t1" and data.get("link_id") not in (None, thread.link_id):
                raise BadInput(
                    f"morechildren: answered comments of {data.get('link_id')}, asked for {thread.link_id}",
                    response.body,
                )
            if kind == "t1":
                got += 1
            for item in self.walk(response, thread, [(kind, data)]):
                if isinstance(item, DocumentItem):
                    self.crawler.stats.inc_value("riftlab/forum_more_comments")
                yield item
        if got < asked:
            # ids reddit no longer has (or never showed): counted, not an error
            self.crawler.stats.inc_value("riftlab/forum_more_missing", asked - got)
