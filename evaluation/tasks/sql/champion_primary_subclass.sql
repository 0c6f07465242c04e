-- Champion display names labelled by their primary subclass.
-- Multi-label champions: the primary label is the first one listed in main.champions.subclasses
-- (sources list a champion's main subclass first), so the choice is deterministic.
{% set split = sql_string(var('split')) %}
SELECT name AS text, subclasses[1] AS label
FROM {{ ref('champions') }}
WHERE ({{ split }} = 'all' OR embedding_split = {{ split }})
  AND len(subclasses) > 0
ORDER BY champion_key
