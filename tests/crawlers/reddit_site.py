"""reddit on loopback, answering in reddit's URL and response shapes from the real recorded material.

Serves ``../shared/data/real/forum/reddit/``: ``subreddit.json`` as ``/r/netsec/new.json`` (and
``/r/netsec/new`` for the OAuth API), ``thread.json`` at its thread's permalink, and the comments of
``more.json`` (a real ``/api/morechildren`` answer of thread ``t3_hbo4a7``) as a thread of their own,
rendered the way reddit renders a long thread: the first top-level comments with their replies, the
rest behind a ``more`` stub.  ``/api/morechildren`` answers from every comment this server holds,
flat, as reddit does (requested ids and their replies; ids it does not hold are left out).
The post of ``t3_hbo4a7`` is hand-made (title and permalink from its comments): only its comments
were recorded.

``robots`` is what ``/robots.txt`` says; ``block`` answers every request but robots.txt and the token
endpoint with reddit's 403 HTML block page unless it carries the bearer token from
``/api/v1/access_token`` (basic auth with ``client_id``/``client_secret``).
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real" / "forum" / "reddit"
#: The real material's folder, wherever the worktree is (tests skip when it is absent).
REAL = REAL.resolve()

ALLOW_ALL = "User-agent: *\nAllow: /\n"
#: reddit.com/robots.txt since July 2024
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"
BLOCK_PAGE = (
    "<!doctype html><html><head><title>Blocked</title></head><body><h1>whoa there, pardner!</h1>"
    "<p>Your request has been blocked due to a network policy.</p><p>Try logging in or creating an account "
    "here to get back to browsing.</p><p>If you're running a script or application, please register or sign "
    "in with your developer credentials here.</p></body></html>"
)
TOKEN = "loopback-token-1234"
#: top-level comments of t3_hbo4a7 shown on its thread page; the rest sit behind a `more` stub
SHOWN_TOP_LEVEL = 10


def available() -> bool:
    return all((REAL / name).is_file() for name in ("subreddit.json", "thread.json", "more.json"))


def _flatten(things: list[dict[str, Any]], out: list[dict[str, Any]]) -> None:
    for thing in things:
        data = dict(thing["data"])
        replies = data.get("replies")
        if thing["kind"] == "t1":
            data["replies"] = ""
        out.append({"kind": thing["kind"], "data": data})
        if isinstance(replies, dict):
            _flatten(replies["data"]["children"], out)


class RedditSite:
    """The loopback server (a context manager); ``requests`` logs (method, path, headers) of every request."""

    def __init__(self, robots: str = ALLOW_ALL, block: bool = False, client_id: str = "id", client_secret: str = "s"):
        self.robots, self.block = robots, block
        self.client_id, self.client_secret = client_id, client_secret
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.subreddit = json.loads((REAL / "subreddit.json").read_text(encoding="utf-8"))
        self.thread = json.loads((REAL / "thread.json").read_text(encoding="utf-8"))
        more = json.loads((REAL / "more.json").read_text(encoding="utf-8"))["json"]["data"]["things"]
        #: link fullname -> its comments (and stubs), flat, parents first
        self.store: dict[str, list[dict[str, Any]]] = {"t3_1cebxh": [], "t3_hbo4a7": more}
        _flatten(self.thread[1]["data"]["children"], self.store["t3_1cebxh"])
        self.store["t3_1cebxh"] = [t for t in self.store["t3_1cebxh"] if t["kind"] == "t1"]
        first = more[0]["data"]
        self.posts = {
            "t3_1cebxh": self.thread[0]["data"]["children"][0]["data"],
            "t3_hbo4a7": {  # hand-made: only the comments were recorded
                "id": "hbo4a7",
                "name": "t3_hbo4a7",
                "title": "Fauci warns of anti-science bias being a problem",
                "permalink": "/r/politics/comments/hbo4a7/fauci_warns_of_antiscience_bias_being_a_problem/",
                "subreddit": "politics",
                "author": "[deleted]",
                "is_self": False,
                "url": "https://example.invalid/fauci",
                "selftext": "",
                "num_comments": sum(t["kind"] == "t1" for t in more),
                "score": 1,
                "created_utc": first["created_utc"] - 3600,
                "link_flair_text": None,
            },
        }
        self.permalinks = {post["permalink"]: link for link, post in self.posts.items()}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.site = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> RedditSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self, prefix: str = "") -> list[str]:
        return [path for _, path, _ in self.requests if path.startswith(prefix)]

    # -- answers -------------------------------------------------------------------------------
    def listing(self, children: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
        return {"kind": "Listing", "data": {"modhash": "", "children": children, "after": after, "before": None}}

    def thread_page(self, link: str, comment: str | None = None) -> list[dict[str, Any]]:
        """``[post listing, comment listing]``; of one comment's branch when ``comment`` is given."""
        post = self.listing([{"kind": "t3", "data": self.posts[link]}])
        if link == "t3_1cebxh" and comment is None:
            return [post, self.thread[1]]
        things = self.store[link]
        if comment is not None:
            roots = [t for t in things if t["data"].get("name") == f"t1_{comment}"]
            return [post, self.listing([self._nested(t, things) for t in roots])]
        top = [t for t in things if t["data"].get("parent_id") == link]
        shown, hidden = top[:SHOWN_TOP_LEVEL], top[SHOWN_TOP_LEVEL:]
        children = [self._nested(t, things) for t in shown]
        hidden_ids = [t["data"]["id"] for t in self._subtrees(hidden, things) if t["kind"] == "t1"]
        if hidden_ids:
            children.append(
                {
                    "kind": "more",
                    "data": {
                        "count": len(hidden_ids),
                        "name": f"t1_{hidden_ids[0]}",
                        "id": hidden_ids[0],
                        "parent_id": link,
                        "depth": 0,
                        "children": [t["data"]["id"] for t in hidden],
                    },
                }
            )
        return [post, self.listing(children)]

    @staticmethod
    def _fullname(thing: dict[str, Any]) -> str:
        return thing["data"].get("name") or f"t1_{thing['data']['id']}"

    def _nested(self, thing: dict[str, Any], things: list[dict[str, Any]]) -> dict[str, Any]:
        thing = copy.deepcopy(thing)
        if thing["kind"] == "t1":
            replies = [self._nested(t, things) for t in things if t["data"].get("parent_id") == self._fullname(thing)]
            thing["data"]["replies"] = self.listing(replies) if replies else ""
        return thing

    def _subtrees(self, roots: list[dict[str, Any]], things: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``roots`` and everything under them, in the store's order (parents first)."""
        inside = {self._fullname(t) for t in roots}
        out = []
        for thing in things:
            if thing in roots or thing["data"].get("parent_id") in inside:
                inside.add(self._fullname(thing))
                out.append(thing)
        return out

    def morechildren(self, link: str, ids: list[str]) -> dict[str, Any]:
        things = self.store.get(link, [])
        asked = set(ids)
        roots = [t for t in things if t["kind"] == "t1" and t["data"]["id"] in asked]
        return {"json": {"errors": [], "data": {"things": self._subtrees(roots, things)}}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def site(self) -> RedditSite:
        return self.server.site

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("ascii"))
        self.site.requests.append(("POST", self.path, dict(self.headers)))
        if urlsplit(self.path).path != "/api/v1/access_token":
            return self._send(404, "text/plain", "no such endpoint")
        expected = base64.b64encode(f"{self.site.client_id}:{self.site.client_secret}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}" or form.get("grant_type") != ["client_credentials"]:
            return self._send(401, "application/json", json.dumps({"message": "Unauthorized", "error": 401}))
        answer = {"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        self._send(200, "application/json", json.dumps(answer))

    def do_GET(self) -> None:  # noqa: N802
        self.site.requests.append(("GET", self.path, dict(self.headers)))
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            return self._send(200, "text/plain", self.site.robots)
        if self.site.block and self.headers.get("Authorization") != f"bearer {TOKEN}":
            return self._send(403, "text/html; charset=utf-8", BLOCK_PAGE)
        bare = path[: -len(".json")] if path.endswith(".json") else path
        if bare.rstrip("/") == "/r/netsec/new":
            body = self.site.subreddit if "after" not in query else self.site.listing([])
            return self._json(body)
        if bare in ("/api/morechildren", "/api/morechildren/"):
            link = (query.get("link_id") or [""])[0]
            ids = [i for i in (query.get("children") or [""])[0].split(",") if i]
            return self._json(self.site.morechildren(link, ids))
        for permalink, link in self.site.permalinks.items():
            if bare.rstrip("/") + "/" == permalink:
                return self._json(self.site.thread_page(link))
            if bare.startswith(permalink):
                comment = bare[len(permalink) :].strip("/")
                return self._json(self.site.thread_page(link, comment))
        self._send(404, "application/json", json.dumps({"message": "Not Found", "error": 404}))

    def _json(self, payload: Any) -> None:
        self._send(200, "application/json; charset=UTF-8", json.dumps(payload))

    def _send(self, status: int, content_type: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
