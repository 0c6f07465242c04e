"""Data checks: expectation suites declared in ``transforms/expectations/*.yml``.

One engine (:mod:`warehouse.checks.engine`) evaluates every expectation in DuckDB, for the build
gate (blocking expectations decide whether a built table is published) and for ``riftlab check``
(every expectation, stored in ``meta.check_results``, with GX Data Docs rendered beside).
"""
