-- Champion display names labelled by their primary class (first listed in main.champions.classes).
{% set split = sql_string(var('split')) %}
SELECT name AS text, classes[1] AS label
FROM {{ ref('champions') }}
WHERE ({{ split }} = 'all' OR embedding_split = {{ split }})
  AND len(classes) > 0
ORDER BY champion_key
