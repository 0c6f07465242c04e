"""What changed between two crawls, per source: the data behind ``riftlab report drift``.

``raw.crawl_seen`` holds every document a crawl yielded, so two runs compare as sets of
``(source, url, content_hash)``: new, removed, changed.  Texts from ``raw.documents`` give token
totals and the vocabulary shift, the Population Stability Index over word frequencies (each side's
top words, the rest in one bucket, shares floored at an epsilon): under 0.1 stable, 0.1 to 0.25 a
moderate shift, above 0.25 major.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from warehouse import db
from warehouse.errors import RiftlabError

#: words per side and source kept as their own PSI bucket (the rest share one).
VOCABULARY = 1000
EPSILON = 1e-4
#: how a "word" is cut out of a document, for token totals and PSI.
WORD_PATTERN = r"[a-z0-9]+(?:'[a-z]+)?"
_WORD_SQL = WORD_PATTERN.replace("'", "''")


class DriftError(RiftlabError):
    """The runs asked for cannot be compared."""


@dataclass
class SourceDrift:
    source: str
    documents_from: int
    documents_to: int
    new: int
    changed: int
    removed: int
    unchanged: int
    tokens_from: int
    tokens_to: int
    psi: float | None
    top_shifts: list[dict] = field(default_factory=list)  # words that moved most

    @property
    def shift(self) -> str:
        if self.psi is None:
            return "n/a"
        return "stable" if self.psi < 0.1 else "moderate" if self.psi < 0.25 else "major"

    @property
    def note(self) -> str:
        if self.documents_from == 0:
            return "not crawled in FROM"
        if self.documents_to == 0:
            return "not crawled in TO"
        return ""


@dataclass
class DriftReport:
    from_runs: list[str]
    to_runs: list[str]
    sources: list[SourceDrift]

    def total(self, attribute: str) -> int:
        return sum(getattr(s, attribute) for s in self.sources)


def _known_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT crawl_run_id FROM raw.crawl_seen GROUP BY crawl_run_id ORDER BY min(crawl_run_id) DESC LIMIT 8"
    ).fetchall()
    return [r[0] for r in rows]


def default_runs(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """The latest finished run of each spider (TO) and the one before it (FROM)."""
    rows = con.execute(
        """
        WITH runs AS (
            SELECT spider, crawl_run_id,
                   row_number() OVER (PARTITION BY spider ORDER BY started_at DESC, crawl_run_id DESC) AS age
            FROM raw.crawl_runs
            WHERE status = 'finished'
              AND crawl_run_id IN (SELECT DISTINCT crawl_run_id FROM raw.crawl_seen)
        )
        SELECT spider, max(crawl_run_id) FILTER (WHERE age = 2), max(crawl_run_id) FILTER (WHERE age = 1)
        FROM runs GROUP BY spider HAVING count(*) >= 2 ORDER BY spider
        """
    ).fetchall()
    if not rows:
        raise DriftError("no spider has two finished crawls in raw.crawl_runs; pass --from RUN --to RUN")
    return [r[1] for r in rows], [r[2] for r in rows]


def _check_runs(con: duckdb.DuckDBPyConnection, runs: list[str], option: str) -> None:
    if not runs:
        raise DriftError(f"{option} needs at least one crawl run id")
    found = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT crawl_run_id FROM raw.crawl_seen WHERE list_contains(?, crawl_run_id)", [runs]
        ).fetchall()
    }
    missing = [r for r in runs if r not in found]
    if missing:
        known = ", ".join(_known_runs(con)) or "(none)"
        raise DriftError(f"{option}: no crawl {', '.join(missing)} in raw.crawl_seen; recent runs: {known}")


_COUNTS = """
WITH side_from AS (
    SELECT source, url, any_value(content_hash) AS content_hash
    FROM raw.crawl_seen WHERE list_contains($from_runs, crawl_run_id) GROUP BY source, url
),
side_to AS (
    SELECT source, url, any_value(content_hash) AS content_hash
    FROM raw.crawl_seen WHERE list_contains($to_runs, crawl_run_id) GROUP BY source, url
)
SELECT coalesce(t.source, f.source) AS source,
       count(f.url) AS documents_from,
       count(t.url) AS documents_to,
       count(*) FILTER (WHERE f.url IS NULL) AS new,
       count(*) FILTER (WHERE f.url IS NOT NULL AND t.url IS NOT NULL AND f.content_hash <> t.content_hash) AS changed,
       count(*) FILTER (WHERE t.url IS NULL) AS removed,
       count(*) FILTER (WHERE f.content_hash = t.content_hash) AS unchanged
FROM side_from AS f FULL OUTER JOIN side_to AS t ON f.source = t.source AND f.url = t.url
GROUP BY 1 ORDER BY 1
"""

_WORDS = f"""
CREATE OR REPLACE TEMP TABLE __drift_words AS
WITH seen AS (
    SELECT 'from' AS side, source, url, any_value(content_hash) AS content_hash
    FROM raw.crawl_seen WHERE list_contains($from_runs, crawl_run_id) GROUP BY source, url
    UNION ALL
    SELECT 'to' AS side, source, url, any_value(content_hash) AS content_hash
    FROM raw.crawl_seen WHERE list_contains($to_runs, crawl_run_id) GROUP BY source, url
),
texts AS (
    SELECT source, url, content_hash, any_value(text) AS text
    FROM raw.documents GROUP BY source, url, content_hash
),
words AS (
    SELECT s.side, s.source, unnest(regexp_extract_all(lower(coalesce(x.text, '')), '{_WORD_SQL}')) AS word
    FROM seen AS s JOIN texts AS x USING (source, url, content_hash)
)
SELECT side, source, word, count(*) AS n FROM words GROUP BY ALL
"""

_PSI = f"""
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY side, source ORDER BY n DESC, word) AS rank FROM __drift_words
),
vocabulary AS (SELECT DISTINCT source, word FROM ranked WHERE rank <= {VOCABULARY}),
bucketed AS (
    SELECT w.side, w.source, coalesce(v.word, '<other>') AS bucket, sum(w.n) AS n
    FROM __drift_words AS w LEFT JOIN vocabulary AS v USING (source, word)
    GROUP BY ALL
),
shares AS (
    SELECT side, source, bucket, n / sum(n) OVER (PARTITION BY side, source) AS share FROM bucketed
),
grid AS (SELECT DISTINCT source, bucket FROM shares),
paired AS (
    SELECT g.source, g.bucket,
           greatest(coalesce(f.share, 0), {EPSILON}) AS p_from,
           greatest(coalesce(t.share, 0), {EPSILON}) AS p_to
    FROM grid AS g
    LEFT JOIN shares AS f ON f.side = 'from' AND f.source = g.source AND f.bucket = g.bucket
    LEFT JOIN shares AS t ON t.side = 'to' AND t.source = g.source AND t.bucket = g.bucket
)
SELECT source, bucket, p_from, p_to, (p_to - p_from) * ln(p_to / p_from) AS contribution
FROM paired
WHERE source IN (SELECT source FROM __drift_words WHERE side = 'from')
  AND source IN (SELECT source FROM __drift_words WHERE side = 'to')
"""


def compute_drift(
    con: duckdb.DuckDBPyConnection, from_runs: list[str], to_runs: list[str], top_words: int = 10
) -> DriftReport:
    """Compare the crawls ``from_runs`` and ``to_runs`` source by source."""
    db.require_table(con, "raw", "crawl_seen", "`riftlab crawl SPIDER`")
    _check_runs(con, from_runs, "--from")
    _check_runs(con, to_runs, "--to")
    parameters = {"from_runs": from_runs, "to_runs": to_runs}
    counts = con.execute(_COUNTS, parameters).fetchall()
    con.execute(_WORDS, parameters)
    try:
        tokens = {
            (side, source): int(total)
            for side, source, total in con.execute(
                "SELECT side, source, sum(n) FROM __drift_words GROUP BY ALL"
            ).fetchall()
        }
        contributions = con.execute(_PSI).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS __drift_words")
    psi: dict[str, float] = {}
    shifts: dict[str, list[dict]] = {}
    for source, bucket, p_from, p_to, contribution in contributions:
        psi[source] = psi.get(source, 0.0) + contribution
        shifts.setdefault(source, []).append(
            {"word": bucket, "share_from": p_from, "share_to": p_to, "contribution": contribution}
        )
    sources = []
    for source, documents_from, documents_to, new, changed, removed, unchanged in counts:
        top = sorted(shifts.get(source, []), key=lambda s: s["contribution"], reverse=True)[:top_words]
        sources.append(
            SourceDrift(
                source=source,
                documents_from=documents_from,
                documents_to=documents_to,
                new=new,
                changed=changed,
                removed=removed,
                unchanged=unchanged,
                tokens_from=tokens.get(("from", source), 0),
                tokens_to=tokens.get(("to", source), 0),
                psi=psi.get(source),
                top_shifts=top,
            )
        )
    return DriftReport(list(from_runs), list(to_runs), sources)
