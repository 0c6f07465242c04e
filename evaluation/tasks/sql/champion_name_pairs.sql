-- Pairs of champion names, label 1 when they share a label of the kind chosen by $share
-- (subclass, position, class, or subclass_or_position); at most $max_pairs, sampled deterministically.
WITH labelled AS (
    SELECT champion_key, name,
           CASE $share
               WHEN 'subclass' THEN subclasses
               WHEN 'position' THEN positions
               WHEN 'class' THEN classes
               WHEN 'subclass_or_position' THEN list_concat(subclasses, positions)
               ELSE error('share must be subclass, position, class or subclass_or_position, got ' || $share)
           END AS labels
    FROM main.champions
    WHERE $split = 'all' OR embedding_split = $split
)
SELECT a.name AS text1,
       b.name AS text2,
       CASE WHEN len(list_intersect(a.labels, b.labels)) > 0 THEN 1 ELSE 0 END AS label
FROM labelled AS a
JOIN labelled AS b ON a.champion_key < b.champion_key
ORDER BY md5(a.champion_key || '|' || b.champion_key)
LIMIT $max_pairs
