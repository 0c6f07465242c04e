-- Pairs of champion names, label 1 when they share a label of the kind var('share') chooses
-- (subclass, position, class, or subclass_or_position); at most var('max_pairs'), sampled deterministically.
{% set split = sql_string(var('split')) %}
{% set share = sql_string(var('share')) %}
WITH labelled AS (
    SELECT champion_key, name,
           CASE {{ share }}
               WHEN 'subclass' THEN subclasses
               WHEN 'position' THEN positions
               WHEN 'class' THEN classes
               WHEN 'subclass_or_position' THEN list_concat(subclasses, positions)
               ELSE error('share must be subclass, position, class or subclass_or_position, got ' || {{ share }})
           END AS labels
    FROM {{ ref('champions') }}
    WHERE {{ split }} = 'all' OR embedding_split = {{ split }}
)
SELECT a.name AS text1,
       b.name AS text2,
       CASE WHEN len(list_intersect(a.labels, b.labels)) > 0 THEN 1 ELSE 0 END AS label
FROM labelled AS a
JOIN labelled AS b ON a.champion_key < b.champion_key
ORDER BY md5(a.champion_key || '|' || b.champion_key)
LIMIT {{ var('max_pairs') }}
