-- Champion display names labelled by their primary position (first listed in main.champions.positions).
{% set split = sql_string(var('split')) %}
SELECT name AS text, positions[1] AS label
FROM {{ ref('champions') }}
WHERE ({{ split }} = 'all' OR embedding_split = {{ split }})
  AND len(positions) > 0
ORDER BY champion_key
