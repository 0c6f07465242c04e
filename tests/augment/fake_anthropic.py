"""A small Anthropic API on 127.0.0.1: the Messages API and the Message Batches API.

The real ``anthropic`` SDK reaches it through ``ANTHROPIC_BASE_URL``.  It answers like the real
API (usage, batch objects, JSONL results, error bodies) and counts every request, so tests can
assert what was sent.  :func:`default_answer` reads the prompt's system part to know which JSON a
task expects; the knobs on :class:`FakeAnthropic` (``overloaded``, ``malformed``, ``raw_replies``,
``echo_key``, ...) make it misbehave.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _passage(user: str) -> str:
    return user.split("Passage:", 1)[-1].strip() if "Passage:" in user else user.strip()


def _qa(user: str) -> tuple[str, str]:
    match = re.search(r"Question: (.*?)\n\nAnswer: (.*)", user, re.DOTALL)
    return (match.group(1).strip(), match.group(2).strip()) if match else ("", "")


def default_answer(system: str, messages: list[dict[str, Any]]) -> str:
    """A well-formed answer for the task the system prompt describes."""
    user = messages[0]["content"]
    name = re.search(r"(?:Champion|Champion to play against|pairs about): ([^,\n.]+)", user)
    champion = name.group(1).strip() if name else "the champion"
    if '"paraphrase"' in system:
        return json.dumps({"paraphrase": "In other words: " + _passage(user)})
    if '"kit"' in system:
        return json.dumps(
            {
                "kit": f"{champion} dashes and knocks up enemies.",
                "synergies": "Pairs well with engage.",
                "strengths": ["Strong skirmisher"],
                "weaknesses": ["Vulnerable to crowd control"],
            }
        )
    if '"strategies"' in system:
        return json.dumps(
            {
                "summary": f"Respect {champion}'s engage.",
                "strategies": ["Dodge the knock up", "Trade when abilities are down"],
            }
        )
    if '"analysis"' in system:
        return json.dumps(
            {"positions": ["Top"], "analysis": f"{champion} wins short trades, which suits the top lane."}
        )
    if '"better"' in system:  # preference judge: the answer that names a lane wins
        a = re.search(r"Answer A: (.*?)\n\nAnswer B:", user, re.DOTALL)
        first = a.group(1) if a else ""
        return json.dumps({"better": "a" if "lane" in first else "b", "reason": "it names the right lane"})
    if '"verdict"' in system:
        question, answer = _qa(user)
        outside = [w for w in ("Faker", "Doublelift") if w in question + answer]
        return json.dumps({"verdict": "fail" if outside else "pass", "entities": outside, "reason": "checked"})
    if '"mentions_source"' in system:
        question, answer = _qa(user)
        mentions = "the guide" in (question + answer).lower()

        def clean(text: str) -> str:
            return re.sub(r"(?i)according to the guide,?\s*", "", text).strip()

        return json.dumps({"mentions_source": mentions, "question": clean(question), "answer": clean(answer)})
    if '"difficulty"' in system:
        topic = _passage(user)[:60]
        return json.dumps(
            {
                "pairs": [
                    {"question": f"What does this say: {topic}?", "answer": topic, "difficulty": "easy"},
                    {
                        "question": f"Why does it matter that {topic}?",
                        "answer": "Because it decides fights.",
                        "difficulty": "hard",
                    },
                ]
            }
        )
    if '"pairs"' in system:  # self-instruct: one clean pair, one naming a pro player, one citing the guide
        topic = _passage(user)[:40]
        return json.dumps(
            {
                "pairs": [
                    {"question": f"What happens here: {topic}?", "answer": topic},
                    {"question": "Who plays this best?", "answer": "Faker plays it best."},
                    {
                        "question": "According to the guide, when should you fight?",
                        "answer": "According to the guide, fight after level six.",
                    },
                ]
            }
        )
    return "I do not know this task."


class FakeAnthropic:
    """The server and its knobs; use as a context manager."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.overloaded = 0  # how many next /v1/messages calls answer 529
        self.malformed: list[str] = []  # user-text substrings whose first answer is not JSON
        self.always_malformed: list[str] = []  # ... and whose repair is not JSON either
        self.batch_polls = 0  # retrieves a batch answers in_progress before it ends
        self.raw_replies: list[tuple[int, str, bytes]] = []  # (status, content type, body) to answer next calls with
        self.echo_key = False  # answers quote the API key the request carried
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.batches: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._seen_systems: set[str] = set()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- behaviour ---------------------------------------------------------------------------
    def message(self, body: dict[str, Any], api_key: str = "") -> dict[str, Any]:
        system = (
            "".join(block["text"] for block in body.get("system", []))
            if isinstance(body.get("system"), list)
            else body.get("system", "")
        )
        messages = body["messages"]
        user = messages[0]["content"]
        repairing = len(messages) > 1
        if any(marker in user for marker in self.always_malformed):
            text = "Sorry, here is some prose instead of JSON."
        elif not repairing and any(marker in user for marker in self.malformed):
            text = "Sure! Here it is: {not: json}"
        else:
            text = default_answer(system, messages)
        if self.echo_key:  # a model that repeats what it was given, key included, inside its JSON
            text = text.replace('": "', f'": "(sent with {api_key}) ', 1)
        with self.lock:
            cached = system in self._seen_systems
            self._seen_systems.add(system)
        conversation = sum(len(m["content"]) for m in messages)
        return {
            "id": f"msg_{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": _tokens(" " * conversation),
                "output_tokens": _tokens(text),
                "cache_read_input_tokens": _tokens(system) if cached else 0,
                "cache_creation_input_tokens": 0 if cached else _tokens(system),
            },
        }

    def batch_object(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches[batch_id]
        ended = batch["polls"] > self.batch_polls
        n = len(batch["requests"])
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else n,
                "succeeded": n if ended else 0,
                "errored": 0,
                "canceled": 0,
                "expired": 0,
            },
            "created_at": "2026-01-01T00:00:00Z",
            "expires_at": "2026-01-02T00:00:00Z",
            "ended_at": "2026-01-01T00:10:00Z" if ended else None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{batch_id}/results" if ended else None,
        }

    # -- HTTP --------------------------------------------------------------------------------
    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self,
                status: int,
                payload: Any,
                headers: dict[str, str] | None = None,
                raw: bytes | None = None,
                content_type: str = "application/binary",
            ) -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json" if raw is None else content_type)
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", f"req_{next(server._ids)}")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, kind: str, message: str) -> None:
                self._send(
                    status,
                    {"type": "error", "error": {"type": kind, "message": message}},
                    {"retry-after-ms": "1"} if status in (429, 529) else None,
                )

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("content-length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _api_key(self) -> str:
                return self.headers.get("x-api-key") or self.headers.get("authorization", "").removeprefix("Bearer ")

            def _authorised(self) -> bool:
                if not (self.headers.get("x-api-key") or self.headers.get("authorization", "").startswith("Bearer ")):
                    self._error(401, "authentication_error", "missing credentials")
                    return False
                return True

            def do_POST(self) -> None:  # noqa: N802
                body = self._body()
                with server.lock:
                    server.headers.append(dict(self.headers))
                if not self._authorised():
                    return
                if self.path == "/v1/messages":
                    with server.lock:
                        server.counts["messages"] += 1
                        server.bodies.append(body)
                        overloaded = server.overloaded > 0
                        if overloaded:
                            server.overloaded -= 1
                            server.counts["overloaded"] += 1
                        raw = server.raw_replies.pop(0) if server.raw_replies and not overloaded else None
                    if overloaded:
                        return self._error(529, "overloaded_error", "Overloaded")
                    if raw is not None:
                        status, content_type, data = raw
                        return self._send(status, None, raw=data, content_type=content_type)
                    return self._send(200, server.message(body, self._api_key()))
                if self.path == "/v1/messages/batches":
                    with server.lock:
                        server.counts["batch_create"] += 1
                        batch_id = f"msgbatch_{next(server._ids):06d}"
                        server.batches[batch_id] = {"requests": body["requests"], "polls": 0}
                    return self._send(200, server.batch_object(batch_id))
                self._error(404, "not_found_error", f"no route {self.path}")

            def do_GET(self) -> None:  # noqa: N802
                if not self._authorised():
                    return
                match = re.fullmatch(r"/v1/messages/batches/([\w-]+)(/results)?", self.path.split("?")[0])
                if not match or match.group(1) not in server.batches:
                    return self._error(404, "not_found_error", f"no route {self.path}")
                batch_id = match.group(1)
                batch = server.batches[batch_id]
                if match.group(2):
                    with server.lock:
                        server.counts["batch_results"] += 1
                    lines = [
                        json.dumps(
                            {
                                "custom_id": r["custom_id"],
                                "result": {
                                    "type": "succeeded",
                                    "message": server.message(r["params"], self._api_key()),
                                },
                            }
                        )
                        for r in batch["requests"]
                    ]
                    return self._send(200, None, raw=("\n".join(lines) + "\n").encode())
                with server.lock:
                    server.counts["batch_retrieve"] += 1
                    batch["polls"] += 1
                self._send(200, server.batch_object(batch_id))

        return Handler
