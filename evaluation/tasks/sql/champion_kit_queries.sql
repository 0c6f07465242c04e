-- Retrieval queries: the chunks main.eval_query_chunks reserves for evaluation (a few per champion,
-- never read by a training stage) whose section matches var('section_pattern'), each with the terms
-- to mask (main.champion_mask_terms: display name, key, long name parts, ability names) so that the
-- query describes the kit or lore without naming the champion.  `target` is the relevant document.
{% set split = sql_string(var('split')) %}
SELECT q.chunk_id AS query_id,
       q.champion AS target,
       q.text,
       m.mask_terms
FROM {{ ref('champions') }} AS ch
JOIN {{ ref('eval_query_chunks') }} AS q ON q.champion = ch.champion_key
JOIN {{ ref('corpus_chunks') }} AS c USING (chunk_id)
JOIN {{ ref('champion_mask_terms') }} AS m ON m.champion = q.champion
WHERE regexp_matches(coalesce(c.section, ''), {{ sql_string(var('section_pattern')) }})
  AND ({{ split }} = 'all' OR ch.embedding_split = {{ split }})
ORDER BY q.champion, q.chunk_id
