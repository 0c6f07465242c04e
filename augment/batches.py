"""Sending through the Message Batches API (half price), resumable across restarts.

A submitted batch is written to ``raw.llm_batches`` before anything else
happens, so a run that is stopped (or gives up waiting after
``batch_wait_s``) leaves a record; the next run with the same requests polls
that batch instead of submitting them again, then writes its answers to
``raw.llm_calls`` and marks it collected.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anthropic
from anthropic.types.messages import MessageBatch

from augment.calls import CallLog, CallRecord
from augment.client import advice, api_reply, describe_error, error_record, record_from_message, scrub
from augment.errors import AugmentError, BadReply, BatchStillRunning
from augment.pricing import Budget, Pricing
from augment.requests import LLMRequest, RequestIdentity
from warehouse.db import utcnow

TABLE = "raw.llm_batches"


def _failed(what: str, exc: BaseException) -> AugmentError:
    """One line: what could not be done with the batch, the API's error, and the fix."""
    error = describe_error(exc)
    return AugmentError(f"{what}: {error}; {advice(error)}")


class BatchSender:
    mode = "batch"

    def __init__(
        self,
        client: anthropic.Anthropic,
        calls: CallLog,
        pricing: Pricing,
        budget: Budget,
        *,
        poll_interval_s: float,
        wait_s: float,
        log: Callable[[str], None] = lambda line: None,
        progress: Callable[[int], None] | None = None,
    ):
        self.client = client
        self.calls = calls
        self.con = calls.con
        self.pricing = pricing
        self.budget = budget
        self.poll_interval_s = float(poll_interval_s)
        self.wait_s = float(wait_s)
        self.log = log
        self.progress = progress
        self.budget_stopped = False
        self.sent = 0
        self.submitted: list[str] = []
        self.resumed: list[str] = []
        self.failures: list[str] = []  # the error of every request whose result is an error

    # -- warehouse ---------------------------------------------------------------------------
    def open_batches(self) -> list[tuple[str, list[str]]]:
        return self.con.execute(
            f"SELECT batch_id, request_hashes FROM {TABLE} WHERE collected_at IS NULL ORDER BY submitted_at"
        ).fetchall()

    def _requests_of(self, batch_id: str) -> dict[str, dict[str, str]]:
        found = self.con.execute(f"SELECT requests FROM {TABLE} WHERE batch_id = ?", [batch_id]).fetchall()
        row = found[0] if found else None
        return {entry["request_hash"]: entry for entry in json.loads(row[0])} if row else {}

    def _update(self, batch_id: str, status: str, ended: bool = False, collected: bool = False) -> None:
        self.con.execute(
            f"""UPDATE {TABLE} SET processing_status = ?,
                   ended_at = CASE WHEN ? THEN coalesce(ended_at, ?) ELSE ended_at END,
                   collected_at = CASE WHEN ? THEN ? ELSE collected_at END
                WHERE batch_id = ?""",
            [status, ended, utcnow(), collected, utcnow(), batch_id],
        )

    # -- sending -----------------------------------------------------------------------------
    def send(self, requests: list[LLMRequest]) -> dict[str, CallRecord]:
        by_hash = {r.request_hash: r for r in requests}
        answered: dict[str, CallRecord] = {}
        settled: set[str] = set()
        for batch_id, hashes in self.open_batches():
            if not by_hash.keys() & set(hashes):
                continue
            self.log(f"resuming batch {batch_id} ({len(hashes)} requests)")
            self.resumed.append(batch_id)
            answered.update(self._finish(batch_id, by_hash))
            settled.update(hashes)
        remaining = [r for r in requests if r.request_hash not in answered and r.request_hash not in settled]
        if not remaining:
            return answered
        chosen, reserved = [], 0.0
        for request in remaining:
            worst = self.pricing.worst_case(request, batch=True)
            if not self.budget.reserve(worst):
                self.budget_stopped = True
                break
            chosen.append(request)
            reserved += worst
        if not chosen:
            return answered
        batch_id = self._submit(chosen, reserved)
        self.budget.settle(reserved, 0.0)
        finished = self._finish(batch_id, by_hash)
        self.budget.settle(0.0, sum(r.cost_usd or 0.0 for r in finished.values()))
        answered.update(finished)
        return answered

    def _submit(self, requests: list[LLMRequest], estimated: float) -> str:
        try:
            batch = api_reply(
                lambda: self.client.messages.batches.create(
                    requests=[{"custom_id": r.request_hash, "params": r.params()} for r in requests]
                ),
                MessageBatch,
                "POST /v1/messages/batches",
            )
        except (anthropic.APIError, BadReply) as exc:
            raise _failed("could not submit a message batch", exc) from None
        hashes = [r.request_hash for r in requests]
        described = [
            {
                "request_hash": r.request_hash,
                "task": r.task,
                "model": r.model,
                "prompt": r.prompt,
                "prompt_version": r.prompt_version,
            }
            for r in requests
        ]
        self.con.execute(
            f"""INSERT INTO {TABLE} (batch_id, task, model, request_hashes, requests, n_requests, estimated_cost_usd,
                                    processing_status, submitted_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                batch.id,
                requests[0].task,
                requests[0].model,
                hashes,
                json.dumps(described),
                len(requests),
                estimated,
                batch.processing_status,
                utcnow(),
            ],
        )
        self.sent += len(requests)
        self.submitted.append(batch.id)
        self.log(f"submitted batch {batch.id} ({len(requests)} requests)")
        return batch.id

    def _finish(self, batch_id: str, by_hash: dict[str, LLMRequest]) -> dict[str, CallRecord]:
        """Poll ``batch_id`` until it ends, then log its answers; raise when it outlasts ``wait_s``."""
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                batch = api_reply(
                    lambda: self.client.messages.batches.retrieve(batch_id), MessageBatch, f"GET batch {batch_id}"
                )
            except (anthropic.APIError, BadReply) as exc:
                raise _failed(f"could not poll message batch {batch_id}", exc) from None
            self._update(batch_id, batch.processing_status, ended=batch.processing_status == "ended")
            if batch.processing_status == "ended":
                break
            if time.monotonic() >= deadline:
                counts = batch.request_counts
                done = counts.succeeded + counts.errored
                raise BatchStillRunning(
                    f"message batch {batch_id} is still {batch.processing_status} "
                    f"({done} of {counts.processing + done} done) "
                    f"after {self.wait_s:g}s; run the same command again to resume polling it"
                )
            time.sleep(self.poll_interval_s)
        return self._collect(batch_id, by_hash)

    def _collect(self, batch_id: str, by_hash: dict[str, LLMRequest]) -> dict[str, CallRecord]:
        known = self._requests_of(batch_id)
        records: list[CallRecord] = []
        try:
            results = api_reply(
                lambda: list(self.client.messages.batches.results(batch_id)), list, f"GET results of {batch_id}"
            )
        except (anthropic.APIError, BadReply) as exc:
            raise _failed(f"could not read the results of message batch {batch_id}", exc) from None
        for item in results:
            planned = by_hash.get(item.custom_id)
            request = planned.identity if planned else self._stand_in(item.custom_id, known)
            if request is None:
                continue
            result = item.result
            if result.type == "succeeded":
                records.append(
                    record_from_message(
                        request, result.message, self.pricing, mode=self.mode, batch_id=batch_id, latency_ms=None
                    )
                )
            else:
                detail = getattr(getattr(result, "error", None), "error", None)
                message = scrub(
                    f"{result.type}: {getattr(detail, 'type', '')} {getattr(detail, 'message', '')}".strip()
                )
                records.append(error_record(request, message, mode=self.mode, batch_id=batch_id, latency_ms=None))
                self.failures.append(message)
            if self.progress:
                self.progress(1)
        self.calls.record(records)
        self._update(batch_id, "ended", ended=True, collected=True)
        return {r.request_hash: r for r in records if r.ok}

    @staticmethod
    def _stand_in(request_hash: str, known: dict[str, dict[str, Any]]) -> RequestIdentity | None:
        """A request of a resumed batch that this run did not plan: enough to log its answer."""
        entry = known.get(request_hash)
        if entry is None:
            return None
        return RequestIdentity(request_hash, entry["task"], entry["model"], entry["prompt"], entry["prompt_version"])
