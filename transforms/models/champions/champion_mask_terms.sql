-- The words that name a champion in text: display name, key, the parts of a long name (4+ letters,
-- so "Aurelion Sol" also hides "Aurelion"), and ability names from every source.  Masking them leaves
-- a description of a kit or lore that does not say whose it is: evaluation's retrieval queries and
-- `riftlab train embed`'s corpus pairs and name inversion all mask with this list.
with abilities as (
    select champion_key, list(distinct value order by value) as names
    from {{ ref('int_champion_facts') }}
    where fact_type = 'ability_name'
    group by champion_key
)
select
    champions.champion_key as champion,
    list_concat(
        [champions.name, champions.champion_key],
        list_filter(string_split(champions.name, ' '), lambda part: length(part) >= 4),
        coalesce(abilities.names, []::varchar[])
    ) as mask_terms
from {{ ref('champions') }} as champions
left join abilities using (champion_key)
order by champion
