"""Data checks: expectation suites declared in ``transforms/expectations/*.yml``.

Every published table has a suite.  ``riftlab check`` runs them with Great
Expectations (on DataFrames read from DuckDB, since GX's SQL datasource does not
speak DuckDB), stores the outcome in ``meta.check_results`` and renders Data
Docs; the expectations marked ``blocking`` also gate publication in
``riftlab build`` (:mod:`warehouse.checks.gate`), evaluated directly in DuckDB
so that the gate costs milliseconds, not a GX import.
"""
