-- The facts of each (source, champion) from its latest landed entry.
with latest as (
    select source, champion, arg_max(content_hash, fetched_at) as content_hash
    from {{ source('raw', 'facts') }}
    group by all
)
select distinct
    facts.champion as champion_ref,
    lower(trim(facts.fact_type)) as fact_type,
    clean_text(facts.value) as value,
    facts.source
from {{ source('raw', 'facts') }} as facts
join latest using (source, champion, content_hash)
where nullif(trim(facts.value), '') is not null
