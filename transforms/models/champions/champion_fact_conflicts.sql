-- Champions whose sources disagree on a fact (for example positions per Meraki vs. a coaching site).
-- values: one 'source: v1, v2' entry per source; chosen_source: the one champions publishes.
with per_source as (
    select
        champion_key,
        fact_type,
        source,
        min(precedence) as precedence,
        list(value order by value) as source_values,
        bool_or(chosen) as chosen
    from {{ ref('int_champion_facts') }}
    where precedence is not null
    group by all
)
select
    champion_key,
    fact_type,
    list(source || ': ' || array_to_string(source_values, ', ') order by precedence) as values,
    list(source order by precedence) as sources,
    min(source) filter (where chosen) as chosen_source
from per_source
group by champion_key, fact_type
having count(distinct source_values) > 1
