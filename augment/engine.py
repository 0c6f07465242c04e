"""One augmentation run: prompts -> requests -> cache or API -> parsed answers -> rows.

:class:`Engine` is what a task talks to.  ``complete`` answers a list of
requests from ``raw.llm_calls`` when it can and sends only the rest (through
the interactive or the batch sender, within the budget); every answer is
parsed against the task's shape, and a malformed one is landed as a failed row
(raw text kept) and retried once with a repair prompt.  In a dry run nothing is
sent: the engine only counts what would be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from augment import answers
from augment.calls import CallLog, CallRecord
from augment.client import make_client
from augment.errors import MalformedAnswer
from augment.landing import AugmentationRow, augmentation_id, land
from augment.pricing import Budget, Pricing, expected_output
from augment.prompts import PromptLibrary
from augment.requests import LLMRequest

REPAIR_PROMPT = "repair"


@dataclass
class Answer:
    """The answer to one request: its parsed payload and the call that gave it, or why there is none."""

    request: LLMRequest
    payload: Any = None
    call: CallRecord | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class RunStats:
    planned: int = 0  # distinct requests the run needed
    cached: int = 0  # answered from raw.llm_calls
    to_send: int = 0  # not cached (sent, or counted in a dry run)
    sent: int = 0
    answered: int = 0
    failed: int = 0  # sent, and answered with an error (logged in raw.llm_calls, sent again next run)
    failure: str | None = None  # the first of those errors
    malformed: int = 0
    repaired: int = 0
    estimated_input_tokens: int = 0
    expected_output_tokens: int = 0
    max_output_tokens: int = 0
    estimated_usd: float = 0.0
    worst_usd: float = 0.0
    batch_estimated_usd: float = 0.0
    spent_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    landed: dict[str, int] = field(default_factory=dict)  # status -> rows


class Engine:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        settings: dict[str, Any],
        prompts: PromptLibrary,
        *,
        model: str | None = None,
        batch: bool = False,
        dry_run: bool = False,
        console: Any = None,
        budget: Budget | None = None,
    ):
        self.con = con
        self.settings = settings
        self.prompts = prompts
        self.model = model or settings["model"]
        self.batch = batch
        self.dry_run = dry_run
        self.console = console
        self.pricing = Pricing.from_settings(settings)
        self.pricing.rates(self.model)  # an unknown model fails before anything else
        self.calls = CallLog(con)
        self.budget = budget or Budget(settings["budget_usd"])  # shared by the tasks of one invocation
        self.stats = RunStats()
        self.budget_stopped = False
        self.batch_notes: list[str] = []
        self._sender = None

    # -- requests ----------------------------------------------------------------------------
    def max_tokens(self, task: str) -> int:
        table = self.settings["max_tokens"]
        return int(table.get(task, table.get("default", 1500)))

    def request(
        self,
        task: str,
        prompt: str,
        inputs: dict[str, Any],
        /,
        *,
        expected_output_tokens: int | None = None,
        **context: Any,
    ) -> LLMRequest:
        """A request of ``task`` from template ``prompt``; ``context`` rides along unhashed."""
        template = self.prompts.get(prompt)
        system, user = template.render(**inputs)
        if expected_output_tokens is None:
            table = self.settings["expected_output_tokens"]
            expected_output_tokens = int(table.get(task, table.get("default", 500)))
        return LLMRequest(
            task=task,
            prompt=prompt,
            prompt_version=template.version,
            model=self.model,
            system=system,
            messages=(("user", user),),
            max_tokens=self.max_tokens(task),
            context=context,
            expected_output_tokens=expected_output_tokens,
        )

    # -- answering ---------------------------------------------------------------------------
    def complete(
        self,
        requests: list[LLMRequest],
        shape: Any,
        validate: Callable[[Any], Any] | None = None,
        *,
        repair: bool = True,
    ) -> list[Answer]:
        """An outcome per request (same order): parsed payload, or why there is none."""

        def read(text: str | None) -> Any:
            payload = answers.parse(text, shape)
            return validate(payload) if validate else payload

        unique: dict[str, LLMRequest] = {}
        for request in requests:
            unique.setdefault(request.request_hash, request)
        cached = self.calls.cached(list(unique))
        pending = [r for h, r in unique.items() if h not in cached]
        self._count(len(unique), len(cached), pending)
        calls = dict(cached)
        if pending and not self.dry_run:
            calls.update(self._send(pending))

        outcomes: list[Answer] = []
        repairs: list[tuple[int, LLMRequest]] = []
        failed: list[AugmentationRow] = []
        for request in requests:
            call = calls.get(request.request_hash)
            if call is None:
                outcomes.append(Answer(request, error="not answered" if not self.dry_run else "dry run"))
                continue
            try:
                outcomes.append(Answer(request, read(call.response_text), call))
            except MalformedAnswer as exc:
                self.stats.malformed += 1
                failed.append(self.failed_row(request, call, str(exc)))
                outcomes.append(Answer(request, call=call, error=f"malformed answer: {exc}"))
                if repair:
                    repairs.append((len(outcomes) - 1, self.repair_request(request, call.response_text, str(exc))))
        self.land(failed)
        if repairs:
            repaired = self.complete([r for _, r in repairs], shape, validate, repair=False)
            for (index, _), outcome in zip(repairs, repaired, strict=True):
                if outcome.ok:
                    self.stats.repaired += 1
                    outcomes[index] = Answer(outcomes[index].request, outcome.payload, outcome.call)
        return outcomes

    def repair_request(self, request: LLMRequest, answer: str | None, reason: str) -> LLMRequest:
        template = self.prompts.get(REPAIR_PROMPT)
        _, instruction = template.render(error=reason)
        return request.followed_by((answer or "").strip() or "(empty answer)", instruction, template.version)

    def failed_row(self, request: LLMRequest, call: CallRecord, reason: str) -> AugmentationRow:
        ctx = request.context
        return AugmentationRow(
            augmentation_id=augmentation_id(request.task, request.request_hash, "failed"),
            task=ctx.get("task", request.task),
            kind=ctx.get("kind", request.task),
            subject=ctx.get("subject", request.request_hash),
            request_hash=request.request_hash,
            model=request.model,
            prompt_version=request.prompt_version,
            source_ids=list(ctx.get("source_ids", [])),
            champion=ctx.get("champion"),
            split=ctx.get("split"),
            title=ctx.get("title"),
            text=call.response_text,
            attributes={"request_task": request.task},
            status="failed",
            error=reason,
        )

    def land(self, rows: list[AugmentationRow]) -> int:
        if self.dry_run or not rows:
            return 0
        for row in rows:
            self.stats.landed[row.status] = self.stats.landed.get(row.status, 0) + 1
        return land(self.con, rows)

    # -- sending -----------------------------------------------------------------------------
    def _count(self, planned: int, cached: int, pending: list[LLMRequest]) -> None:
        stats = self.stats
        stats.planned += planned
        stats.cached += cached
        stats.to_send += len(pending)
        for request in pending:
            stats.estimated_input_tokens += request.estimated_input_tokens()
            stats.expected_output_tokens += expected_output(request)
            stats.max_output_tokens += request.max_tokens
            stats.estimated_usd += self.pricing.estimate(request)
            stats.worst_usd += self.pricing.worst_case(request)
            stats.batch_estimated_usd += self.pricing.estimate(request, batch=True)

    def _progress(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=self.console is None,
        )

    def sender(self):
        if self._sender is None:
            client = make_client(self.settings)
            if self.batch:
                from augment.batches import BatchSender

                self._sender = BatchSender(
                    client,
                    self.calls,
                    self.pricing,
                    self.budget,
                    poll_interval_s=self.settings["batch_poll_interval_s"],
                    wait_s=self.settings["batch_wait_s"],
                    log=self.batch_notes.append,
                )
            else:
                from augment.client import InteractiveSender

                self._sender = InteractiveSender(
                    client, self.calls, self.pricing, self.budget, concurrency=self.settings["concurrency"]
                )
        return self._sender

    def _send(self, pending: list[LLMRequest]) -> dict[str, CallRecord]:
        sender = self.sender()
        if self.budget_stopped:
            return {}
        with self._progress() as progress:
            bar = progress.add_task(f"{pending[0].task}: {'batch' if self.batch else 'requests'}", total=len(pending))
            sender.progress = lambda n: progress.advance(bar, n)
            before, failures_before = sender.sent, len(sender.failures)
            try:
                answered = sender.send(pending)
            finally:
                self.stats.sent += sender.sent - before
                failures = sender.failures[failures_before:]
                self.stats.failed += len(failures)
                self.stats.failure = self.stats.failure or next(iter(failures), None)
        self.budget_stopped = self.budget_stopped or sender.budget_stopped
        self.stats.answered += len(answered)
        for call in answered.values():
            self.stats.spent_usd += call.cost_usd or 0.0
            self.stats.input_tokens += call.input_tokens or 0
            self.stats.output_tokens += call.output_tokens or 0
            self.stats.cache_read_tokens += call.cache_read_tokens or 0
        return answered
