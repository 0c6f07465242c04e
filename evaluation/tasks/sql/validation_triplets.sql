-- Validation triplets (anchor, positive, negative texts).  'validation_names' keeps the champion
-- triplets (three names, label-chosen), 'validation_texts' the text triplets (a name, a chunk about
-- it, a chunk about a dissimilar champion): a model that reads the corpus can gain on the second
-- without knowing roles.  The 'heldout' split keeps the triplets that involve a held-out champion
-- (anchor, positive or negative).  At most var('max_triplets'), sampled deterministically.
{% set split = sql_string(var('split')) %}
SELECT t.triplet_id, t.anchor, t.positive, t.negative
FROM {{ ref('triplets') }} AS t
WHERE t.split = 'validation'
  AND (
      {{ split }} = 'validation'
      OR ({{ split }} = 'validation_names' AND t.kind = 'champion')
      OR ({{ split }} = 'validation_texts' AND t.kind = 'text')
      OR EXISTS (
          SELECT 1 FROM {{ ref('champions') }} AS c
          WHERE c.embedding_split = {{ split }}
            AND c.champion_key IN (t.anchor_champion, t.positive_champion, t.negative_champion)
      )
  )
ORDER BY md5(t.triplet_id)
LIMIT {{ var('max_triplets') }}
