-- Retrieval queries: the chunks main.eval_query_chunks reserves for evaluation (a few per champion,
-- never read by a training stage), each with the terms to mask (main.champion_mask_terms: display
-- name, key, long name parts, ability names) so that the query describes the kit or lore without
-- naming the champion.  `target` is the relevant document.
WITH reserved AS (
    SELECT q.chunk_id, q.champion, q.text
    FROM main.eval_query_chunks AS q
    JOIN main.corpus_chunks AS c USING (chunk_id)
    WHERE regexp_matches(coalesce(c.section, ''), $section_pattern)
)
SELECT r.chunk_id AS query_id,
       r.champion AS target,
       r.text,
       m.mask_terms
FROM reserved AS r
JOIN main.champions AS ch ON ch.champion_key = r.champion
JOIN main.champion_mask_terms AS m ON m.champion = r.champion
WHERE ($split = 'all' OR ch.embedding_split = $split)
ORDER BY r.champion, r.chunk_id
