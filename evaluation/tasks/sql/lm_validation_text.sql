-- Held-out text for perplexity: the corpus chunks of var('split') (no training stage reads the
-- validation split), in a fixed order; var('max_chunks') > 0 keeps that many, sampled deterministically.
{% set split = sql_string(var('split')) %}
SELECT chunk_id, text
FROM {{ ref('corpus_chunks') }}
WHERE split = {{ split }}
ORDER BY {% if var('max_chunks') | int > 0 %}md5(chunk_id){% else %}chunk_id{% endif %}
{% if var('max_chunks') | int > 0 %}LIMIT {{ var('max_chunks') | int }}{% endif %}
