-- Chunks reserved as evaluation queries (ChampionKitRetrieval): up to var('eval_queries_per_champion')
-- per champion, picked by a stable hash, always leaving at least one of the champion's chunks to
-- training.  No training stage reads them: the triplets leave them out, and so does every training
-- read of corpus_chunks (training/data.py), so a retrieval query is text no model was trained on.
with ranked as (
    select
        chunk_id,
        champion,
        split,
        text,
        n_tokens >= {{ var('eval_query_min_tokens') }} as long_enough,
        count(*) over (partition by champion) as chunks_of_champion,
        row_number() over (
            partition by champion
            order by n_tokens >= {{ var('eval_query_min_tokens') }} desc,
                     stable_unit('{{ var("split_seed") }}:eval-query:' || chunk_id), chunk_id
        ) as pick
    from {{ ref('corpus_chunks') }}
    where champion is not null
      and source <> 'kit_card'  -- queries stay crawled text; kit cards are written from facts
)
select chunk_id, champion, split, text
from ranked
where long_enough
  and pick <= {{ var('eval_queries_per_champion') }}
  and pick < chunks_of_champion
order by champion, chunk_id
