"""Defaults of the ``checks`` section of riftlab.yaml."""

CHECKS = {
    # Failing rows kept per failed expectation (terminal, meta.check_results, Data Docs notes).
    "sample_rows": 5,
    # Longest text kept per value in a failing sample (chunk texts are long).
    "sample_value_chars": 160,
    # Build GX Data Docs under <reports>/data-docs/ on every `riftlab check`.
    "data_docs": True,
}


def checks_settings(config: dict) -> dict:
    """The merged ``checks`` section (the defaults when riftlab.yaml has none)."""
    merged = dict(CHECKS)
    merged.update(config.get("checks") or {})
    return merged
