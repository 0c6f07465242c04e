-- Retrieval corpus: every champion (whatever the split, so held-out queries compete with all names),
-- as its display name, optionally followed by its title.
SELECT champion_key AS doc_id,
       CASE WHEN $with_titles AND title IS NOT NULL THEN name || ', ' || title ELSE name END AS text
FROM main.champions
ORDER BY champion_key
