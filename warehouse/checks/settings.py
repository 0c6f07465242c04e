"""The ``checks`` section of riftlab.yaml, typed, with its defaults."""

from __future__ import annotations

from pydantic import Field

from warehouse.config import Settings


class Checks(Settings):
    """How `riftlab check` reports failures."""

    sample_rows: int = Field(5, ge=0)
    """Failing rows kept per failed expectation (terminal, meta.check_results, checks.html)."""
    sample_value_chars: int = Field(160, ge=1)
    """Longest text kept per value in a failing sample (chunk texts are long)."""
    data_docs: bool = True
    """Build GX Data Docs under <reports>/data-docs/ on every `riftlab check`."""


CHECKS = Checks().model_dump()


def checks_settings(config: dict) -> dict:
    """The merged ``checks`` section (the defaults when riftlab.yaml has none)."""
    merged = dict(CHECKS)
    merged.update(config.get("checks") or {})
    return merged
