-- Every sentence the kit-card rules (rules/kit_cards.yml) write: one row per champion fact a rule
-- matched, so a person can audit each rule.  Only the fact types the rule file lists under
-- `allowed_facts` are read; label facts (position, subclass, tag) never are.
{%- set kit = rules.kit_cards %}
with facts as (
    select champion_key, fact_type, value
    from {{ ref('int_champion_facts') }}
    where chosen and fact_type in (select unnest({{ sql_list(kit.allowed_facts) }}))
),
names as (
    select champion_key, min(value) as name
    from {{ ref('int_champion_facts') }}
    where chosen and fact_type = 'name'
    group by all
),
kit_rules as (
    select
        row_number() over () as rule_no,
        name as rule,
        passage,
        fact_type,
        value as match_value,
        "min" as band_min,
        "max" as band_max,
        words,
        value is null and "min" is null and "max" is null as fallback
    from {{ ref('rules_kit_cards') }}
    where fact_type in (select unnest({{ sql_list(kit.allowed_facts) }}))
),
matched as (
    select facts.champion_key, facts.fact_type, facts.value, kit_rules.* exclude (fact_type)
    from facts
    join kit_rules
      on kit_rules.fact_type = facts.fact_type
     and not kit_rules.fallback
     and (
        upper(kit_rules.match_value) = upper(facts.value)
        or try_cast(facts.value as double) between kit_rules.band_min and kit_rules.band_max
     )
),
fallbacks as (
    select facts.champion_key, facts.fact_type, facts.value, kit_rules.* exclude (fact_type)
    from facts
    join kit_rules on kit_rules.fact_type = facts.fact_type and kit_rules.fallback
    anti join matched
      on matched.champion_key = facts.champion_key
     and matched.fact_type = facts.fact_type
     and matched.value = facts.value
),
hits as (
    select * from matched
    union all
    select * from fallbacks
)
select
    hits.champion_key as champion,
    hits.passage,
    hits.rule_no,
    hits.rule,
    hits.fact_type,
    hits.value,
    replace(
        replace(hits.words, '{name}', coalesce(names.name, hits.champion_key)),
        '{value}', lower(replace(hits.value, '_', ' '))
    ) as sentence
from hits
left join names using (champion_key)
order by champion, rule_no
