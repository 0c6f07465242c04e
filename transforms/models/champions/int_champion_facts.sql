-- Champion facts from every source, resolved to champion keys, with canonical values
-- (positions and subclasses spelled as the seeds spell them), ranked by source precedence
-- (rules/champion_sources.yml). `chosen` marks the values champions publishes.
with facts as (
    select * from {{ ref('stg_facts') }}
    union all
    select * from {{ ref('stg_overrides') }}
),
resolved as (
    select distinct
        aliases.champion_key,
        facts.fact_type,
        case
            when facts.fact_type = 'position' then coalesce(positions.position, facts.value)
            when facts.fact_type = 'subclass' then coalesce(subclasses.subclass, facts.value)
            else facts.value
        end as value,
        facts.source
    from facts
    join {{ ref('int_champion_aliases') }} as aliases
        on aliases.alias_key = champion_alias_key(facts.champion_ref)
    left join {{ ref('position_aliases') }} as positions
        on upper(positions.alias) = upper(facts.value)
    left join {{ ref('subclass_classes') }} as subclasses
        on lower(subclasses.subclass) = lower(facts.value)
),
ranked as (
    select
        resolved.*,
        list_position(precedence.sources, resolved.source) as precedence
    from resolved
    left join {{ ref('rules_champion_sources') }} as precedence using (fact_type)
)
select
    champion_key,
    fact_type,
    value,
    source,
    precedence,
    -- a fact type without a precedence rule keeps every source's values
    precedence is null
        or precedence = min(precedence) over (partition by champion_key, fact_type) as chosen
from ranked
where precedence is not null
   or fact_type not in (select fact_type from {{ ref('rules_champion_sources') }})
