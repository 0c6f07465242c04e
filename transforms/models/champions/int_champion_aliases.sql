-- Every way sources name a champion (key, display name), normalised, mapped to its champion key.
-- Keys come from the structured sources (Meraki, Data Dragon) and the overrides seed.
with keys as (
    select distinct champion_ref as champion_key
    from {{ ref('stg_facts') }}
    where source in ('meraki', 'ddragon')
    union
    select distinct champion_ref from {{ ref('stg_overrides') }}
),
names as (
    select champion_key, champion_key as alias from keys
    union
    select facts.champion_ref, facts.value
    from {{ ref('stg_facts') }} as facts
    join keys on keys.champion_key = facts.champion_ref
    where facts.fact_type = 'name'
)
select distinct
    champion_alias_key(alias) as alias_key,
    champion_key
from names
