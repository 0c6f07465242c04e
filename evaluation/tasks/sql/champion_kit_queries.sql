-- Retrieval queries: up to $queries_per_champion knowledge chunks per champion (deterministic pick),
-- each with the terms to mask (display name, key, long name parts, ability names) so that the
-- query describes the kit or lore without naming the champion.  `target` is the relevant document.
WITH abilities AS (
    SELECT champion, list(DISTINCT value ORDER BY value) AS names
    FROM raw.facts
    WHERE fact_type = 'ability_name'
    GROUP BY champion
),
ranked AS (
    SELECT chunk_id, champion, text,
           row_number() OVER (PARTITION BY champion ORDER BY md5(chunk_id)) AS pick
    FROM main.corpus_chunks
    WHERE champion IS NOT NULL
      AND n_tokens >= $min_tokens
      AND regexp_matches(coalesce(section, ''), $section_pattern)
)
SELECT r.chunk_id AS query_id,
       r.champion AS target,
       r.text,
       list_concat(
           [ch.name, ch.champion_key],
           list_filter(string_split(ch.name, ' '), lambda part: length(part) >= 4),
           coalesce(a.names, [])
       ) AS mask_terms
FROM ranked AS r
JOIN main.champions AS ch ON ch.champion_key = r.champion
LEFT JOIN abilities AS a ON a.champion = r.champion
WHERE r.pick <= $queries_per_champion
  AND ($split = 'all' OR ch.embedding_split = $split)
ORDER BY r.champion, r.chunk_id
