{{ config(materialized='view') }}
-- Each champion's split as the corpus assigned it (the corpus splits by champion group, so a
-- champion's chunks share one split); 'train' for a champion without chunks.
with chunk_splits as (
    select champion, mode(split) as split
    from {{ ref('corpus_chunks') }}
    where champion is not null
    group by champion
)
select
    champions.champion_key as champion,
    coalesce(chunk_splits.split, 'train') as split
from {{ ref('champions') }} as champions
left join chunk_splits on chunk_splits.champion = champions.champion_key
