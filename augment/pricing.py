"""Dollars: the price table, the cost of an answer, and the per-run budget.

A request's worst case is its pessimistic input estimate plus ``max_tokens`` of
output at the full (non-cached) price.  :class:`Budget` reserves that worst
case before a request is sent and settles it to the real cost when the answer
arrives, so the money spent by a run can never exceed ``budget_usd``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from augment.errors import AugmentError
from augment.requests import LLMRequest

PER = 1_000_000


@dataclass(frozen=True)
class Pricing:
    prices: dict[str, dict[str, float]]
    cache_write_multiplier: float = 1.25
    cache_read_multiplier: float = 0.1
    batch_discount: float = 0.5

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Pricing:
        return cls(
            prices=dict(settings["prices"]),
            cache_write_multiplier=float(settings["cache_write_multiplier"]),
            cache_read_multiplier=float(settings["cache_read_multiplier"]),
            batch_discount=float(settings["batch_discount"]),
        )

    def rates(self, model: str) -> tuple[float, float]:
        """($ per input token, $ per output token) of ``model``."""
        price = self.prices.get(model)
        if not isinstance(price, dict) or "input" not in price or "output" not in price:
            known = ", ".join(sorted(self.prices))
            raise AugmentError(
                f"no price for model '{model}' in augment.prices (riftlab.yaml); add "
                f"'{model}: {{input: $/MTok, output: $/MTok}}' or use one of: {known}"
            )
        return float(price["input"]) / PER, float(price["output"]) / PER

    def cost(
        self,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        batch: bool = False,
    ) -> float:
        """What an answer cost; the API's input_tokens exclude cache reads and writes."""
        rate_in, rate_out = self.rates(model)
        dollars = (
            input_tokens * rate_in
            + cache_write_tokens * rate_in * self.cache_write_multiplier
            + cache_read_tokens * rate_in * self.cache_read_multiplier
            + output_tokens * rate_out
        )
        return dollars * (self.batch_discount if batch else 1.0)

    def worst_case(self, request: LLMRequest, batch: bool = False) -> float:
        """The most ``request`` can cost (input written to the cache, full output)."""
        rate_in, rate_out = self.rates(request.model)
        dollars = request.worst_input_tokens() * rate_in * max(1.0, self.cache_write_multiplier)
        dollars += request.max_tokens * rate_out
        return dollars * (self.batch_discount if batch else 1.0)

    def estimate(self, request: LLMRequest, batch: bool = False) -> float:
        """A plain estimate: input at the base price, the expected output (else half of ``max_tokens``)."""
        rate_in, rate_out = self.rates(request.model)
        dollars = request.estimated_input_tokens() * rate_in + expected_output(request) * rate_out
        return dollars * (self.batch_discount if batch else 1.0)


def expected_output(request: LLMRequest) -> int:
    expected = request.expected_output_tokens
    return min(request.max_tokens, expected if expected is not None else request.max_tokens // 2)


class Budget:
    """Dollars one run may spend; 0 or less means no cap.  Thread-safe."""

    def __init__(self, limit_usd: float):
        self.limit = float(limit_usd)
        self.spent = 0.0
        self.reserved = 0.0
        self._lock = threading.Lock()

    @property
    def capped(self) -> bool:
        return self.limit > 0

    def reserve(self, dollars: float) -> bool:
        """Hold ``dollars`` for a request about to be sent; False when that would pass the limit."""
        with self._lock:
            if self.capped and self.spent + self.reserved + dollars > self.limit + 1e-12:
                return False
            self.reserved += dollars
            return True

    def settle(self, reserved: float, spent: float) -> None:
        with self._lock:
            self.reserved = max(0.0, self.reserved - reserved)
            self.spent += spent

    def describe(self) -> str:
        cap = f"${self.limit:.4f}" if self.capped else "no cap"
        return f"${self.spent:.4f} spent of {cap}"
