-- Retrieval corpus: every champion (whatever the split, so held-out queries compete with all names),
-- as its display name, followed by its title when var('with_titles') is true.
SELECT champion_key AS doc_id,
       CASE WHEN {{ var('with_titles') }} AND title IS NOT NULL THEN name || ', ' || title ELSE name END AS text
FROM {{ ref('champions') }}
ORDER BY champion_key
