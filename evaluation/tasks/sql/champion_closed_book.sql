-- Closed-book multiple choice on one champion fact, var('fact'): position, class, resource or
-- attack_type.  Only champions no training text asked about: no instruction pair of the 'train'
-- split names them (so SFT never saw the question answered).  Each row: the question, the start of
-- the answer (as the rule-based pairs phrase it), the options, and the index of the true one.
-- Options that are also true (a second position or class) are left out, so one option is right.
-- The 'all' split keeps every champion (what a model knows, trained on or not).
{% set split = sql_string(var('split')) %}
{% set fact = sql_string(var('fact')) %}
{# a position as the rule-based pairs phrase it (int_champion_phrases) #}
{% macro phrase(x) %}case {{ x }} when 'Top' then 'top lane' when 'Jungle' then 'jungle' when 'Middle' then 'middle lane' when 'Bottom' then 'bottom lane' else 'support role' end{% endmacro %}
with unasked as (
    select c.champion_key, c.name, c.positions, c.classes
    from {{ ref('champions') }} as c
    where {{ split }} = 'all'
       or not exists (
            select 1 from {{ ref('instruct_pairs') }} as p
            where p.champion = c.champion_key and p.split = 'train'
        )
),
scalar_facts as (
    select champion_key, fact_type, min(value) as value
    from {{ ref('int_champion_facts') }}
    where chosen and fact_type in ('resource', 'attack_type')
    group by all
),
truths as (
    -- (champion, option phrases that are true, the one scored as gold, every option of the fact)
    select u.champion_key, u.name,
           'Which position is ' || u.name || ' played in?' as question,
           u.name || ' is played in the' as answer_prefix,
           list_transform(u.positions, lambda x: {{ phrase('x') }}) as true_options,
           {{ phrase('u.positions[1]') }} as gold,
           ['top lane', 'jungle', 'middle lane', 'bottom lane', 'support role'] as options
    from unasked as u
    where {{ fact }} = 'position' and len(u.positions) > 0
    union all
    select u.champion_key, u.name,
           'What class of champion is ' || u.name || '?',
           u.name || ' is a',
           u.classes,
           u.classes[1],
           (select list(distinct c order by c) from (select unnest(classes) as c from {{ ref('champions') }}))
    from unasked as u
    where {{ fact }} = 'class' and len(u.classes) > 0
    union all
    select u.champion_key, u.name,
           'What resource does ' || u.name || ' use to cast abilities?',
           u.name || ' uses',
           [phrase], phrase,
           (select list_sort(list(distinct case value when 'NONE' then 'no resource'
                                             else lower(replace(value, '_', ' ')) end))
            from scalar_facts where fact_type = 'resource')
    from unasked as u
    join (select champion_key,
                 case value when 'NONE' then 'no resource' else lower(replace(value, '_', ' ')) end as phrase
          from scalar_facts where fact_type = 'resource') as r using (champion_key)
    where {{ fact }} = 'resource'
    union all
    select u.champion_key, u.name,
           'Is ' || u.name || ' a melee or a ranged champion?',
           u.name || ' is a',
           [phrase], phrase,
           ['melee', 'ranged']
    from unasked as u
    join (select champion_key, lower(value) as phrase from scalar_facts where fact_type = 'attack_type') as a
        using (champion_key)
    where {{ fact }} = 'attack_type'
),
checked as (
    select *,
           list_filter(options, lambda o: o = gold or not list_contains(true_options, o)) as choices
    from truths
    where {{ fact }} in ('position', 'class', 'resource', 'attack_type')
       or error('fact must be position, class, resource or attack_type, got ' || {{ fact }})
)
select champion_key, question, answer_prefix, choices, list_position(choices, gold) - 1 as answer
from checked
order by champion_key
