-- Champion display names labelled by their primary position (first listed in main.champions.positions).
SELECT name AS text, positions[1] AS label
FROM main.champions
WHERE ($split = 'all' OR embedding_split = $split)
  AND len(positions) > 0
ORDER BY champion_key
