"""The Anthropic client, and interactive sending with bounded concurrency.

The API key is read from ``ANTHROPIC_API_KEY`` only and handed to the SDK; it
is never stored, logged or put in an error message, and an answer that quotes it
is stored with the key masked.  ``ANTHROPIC_BASE_URL`` points the SDK elsewhere
(tests use a local server).  Retries with backoff on 408/409/429/529/5xx and
connection errors are the SDK's own (``max_retries``, honouring
``retry-after``/``retry-after-ms``).  A reply that is not the API's JSON (a
proxy's HTML error page) is a failed call described in one line (:func:`api_reply`).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import anthropic
from anthropic.types import Message

from augment.calls import CallLog, CallRecord
from augment.errors import AugmentError, BadReply
from augment.pricing import Budget, Pricing
from augment.requests import LLMRequest, RequestIdentity
from warehouse.db import utcnow

API_KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
#: Status codes after which no other request can succeed either: stop the run.
FATAL_STATUS = {401, 403}


def has_api_key() -> bool:
    return bool(os.environ.get(API_KEY_ENV, "").strip())


def make_client(settings: dict[str, Any]) -> anthropic.Anthropic:
    key = os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        raise AugmentError(f"{API_KEY_ENV} is not set: API tasks need it (use --dry-run to estimate without it)")
    return anthropic.Anthropic(
        api_key=key,
        base_url=os.environ.get(BASE_URL_ENV) or None,
        max_retries=int(settings["max_retries"]),
        timeout=float(settings["timeout_s"]),
    )


def scrub(text: str) -> str:
    """``text`` with the API key (should it ever appear) masked."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    return text.replace(key, "[redacted]") if key and len(key) >= 8 else text


def excerpt(text: str, limit: int = 160) -> str:
    """``text`` on one line, without markup, cut to ``limit`` characters (an error page's gist)."""
    plain = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return plain if len(plain) <= limit else plain[: limit - 3] + "..."


def describe_error(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    message = getattr(exc, "message", None) or str(exc)
    prefix = f"{type(exc).__name__} {status}" if status else type(exc).__name__
    return scrub(f"{prefix}: {excerpt(message, 1000)}")


#: what to do about a request that failed, by the start of its error (see :func:`describe_error`, :class:`BadReply`)
ADVICE = (
    ("BadReply", f"{BASE_URL_ENV} (or a proxy in between) is not the Anthropic API: fix or unset it"),
    ("APIConnectionError", f"check the network and {BASE_URL_ENV}"),
    ("APITimeoutError", "raise augment.timeout_s or check the network"),
    ("RateLimitError", "lower augment.concurrency or rerun later"),
    ("BadRequestError", "check augment.model and augment.max_tokens"),
)


def advice(error: str) -> str:
    """The fix for requests that failed with ``error``; by default the API is failing or overloaded."""
    for start, fix in ADVICE:
        if error.startswith(start):
            return fix
    return "the API is failing or overloaded: rerun later"


def api_reply(call: Callable[[], Any], expected: type, what: str) -> Any:
    """``call()``'s reply when the SDK could read it as ``expected``; otherwise :class:`BadReply`, in one line.

    A body that is not JSON, or JSON that is not the API's, reaches the SDK from a proxy's
    error page or a wrong base URL; the SDK then raises a JSON error or returns the text.
    """
    try:
        reply = call()
    except json.JSONDecodeError as exc:
        reply = exc.doc  # the body the SDK could not parse
    if not isinstance(reply, expected):
        raise BadReply(
            scrub(f"{what}: the reply is not the Anthropic API's JSON: {excerpt(str(reply)) or 'an empty body'}")
        )
    return reply


def answer_text(message: Any) -> str:
    return "".join(getattr(block, "text", "") for block in message.content if getattr(block, "type", "") == "text")


def record_from_message(
    request: RequestIdentity, message: Any, pricing: Pricing, *, mode: str, batch_id: str | None, latency_ms: int | None
) -> CallRecord:
    usage = message.usage
    input_tokens = int(usage.input_tokens or 0)
    output_tokens = int(usage.output_tokens or 0)
    cache_read = int(getattr(usage, "cache_read_input_tokens", 0) or 0)
    cache_write = int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
    return CallRecord(
        request_hash=request.request_hash,
        task=request.task,
        model=request.model,
        prompt_name=request.prompt,
        prompt_version=request.prompt_version,
        mode=mode,
        batch_id=batch_id,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cost_usd=pricing.cost(
            request.model, input_tokens, output_tokens, cache_read, cache_write, batch=mode == "batch"
        ),
        latency_ms=latency_ms,
        status="ok",
        stop_reason=getattr(message, "stop_reason", None),
        response_text=scrub(answer_text(message)),
        error=None,
        created_at=utcnow(),
    )


def error_record(
    request: RequestIdentity, error: str, *, mode: str, batch_id: str | None, latency_ms: int | None
) -> CallRecord:
    return CallRecord(
        request_hash=request.request_hash,
        task=request.task,
        model=request.model,
        prompt_name=request.prompt,
        prompt_version=request.prompt_version,
        mode=mode,
        batch_id=batch_id,
        input_tokens=None,
        output_tokens=None,
        cache_read_tokens=None,
        cache_write_tokens=None,
        cost_usd=0.0,
        latency_ms=latency_ms,
        status="error",
        stop_reason=None,
        response_text=None,
        error=error,
        created_at=utcnow(),
    )


class InteractiveSender:
    """Sends requests through the Messages API, at most ``concurrency`` at a time.

    Answers are written to ``raw.llm_calls`` as they come (in batches of
    ``flush_rows``) from the calling thread only; worker threads only talk HTTP.
    ``failures`` collects the error of every request that failed.
    """

    mode = "interactive"

    def __init__(
        self,
        client: anthropic.Anthropic,
        calls: CallLog,
        pricing: Pricing,
        budget: Budget,
        *,
        concurrency: int,
        flush_rows: int = 50,
        progress: Callable[[int], None] | None = None,
    ):
        self.client = client
        self.calls = calls
        self.pricing = pricing
        self.budget = budget
        self.concurrency = max(1, int(concurrency))
        self.flush_rows = flush_rows
        self.progress = progress
        self.budget_stopped = False
        self.sent = 0
        self.failures: list[str] = []

    def _call(self, request: LLMRequest) -> tuple[CallRecord, bool]:
        """The answer (or error) of one request, and whether the error stops the run."""
        started = time.perf_counter()
        try:
            message = api_reply(lambda: self.client.messages.create(**request.params()), Message, "POST /v1/messages")
        except (anthropic.APIError, BadReply) as exc:
            latency = int((time.perf_counter() - started) * 1000)
            record = error_record(
                request.identity, describe_error(exc), mode=self.mode, batch_id=None, latency_ms=latency
            )
            return record, getattr(exc, "status_code", None) in FATAL_STATUS
        latency = int((time.perf_counter() - started) * 1000)
        return record_from_message(
            request.identity, message, self.pricing, mode=self.mode, batch_id=None, latency_ms=latency
        ), False

    def send(self, requests: list[LLMRequest]) -> dict[str, CallRecord]:
        answered: dict[str, CallRecord] = {}
        buffer: list[CallRecord] = []
        fatal: str | None = None
        queue = iter(requests)
        in_flight: dict[Future, tuple[LLMRequest, float]] = {}
        exhausted = False
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="augment") as pool:
            while True:
                while not exhausted and fatal is None and len(in_flight) < self.concurrency:
                    request = next(queue, None)
                    if request is None:
                        exhausted = True
                        break
                    reserve = self.pricing.worst_case(request)
                    if not self.budget.reserve(reserve):
                        self.budget_stopped = exhausted = True
                        break
                    in_flight[pool.submit(self._call, request)] = (request, reserve)
                    self.sent += 1
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    request, reserve = in_flight.pop(future)
                    record, is_fatal = future.result()
                    self.budget.settle(reserve, record.cost_usd or 0.0)
                    if is_fatal and fatal is None:
                        fatal = record.error
                    buffer.append(record)
                    if record.ok:
                        answered[record.request_hash] = record
                    else:
                        self.failures.append(record.error)
                    if self.progress:
                        self.progress(1)
                if len(buffer) >= self.flush_rows:
                    self.calls.record(buffer)
                    buffer = []
        self.calls.record(buffer)
        if fatal:
            raise AugmentError(f"the API refused the requests ({fatal}); check {API_KEY_ENV} and the model name")
        return answered
