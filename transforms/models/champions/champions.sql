-- One row per champion: names, positions, wiki classes and subclasses, the sources that know it,
-- and its embedding split ('heldout' champions are reserved for evaluation: no triplet names them).
with facts as (
    select * from {{ ref('int_champion_facts') }} where chosen
),
position_order as (
    select * from (values ('Top', 1), ('Jungle', 2), ('Middle', 3), ('Bottom', 4), ('Support', 5)) as t(position, rank)
),
keys as (
    select distinct champion_key from {{ ref('int_champion_facts') }}
    where fact_type in ('name', 'position', 'subclass')
),
heldout as (
    select champion_key
    from keys
    where
    {%- if var('heldout_champions') %}
        champion_key in (select unnest({{ sql_list(var('heldout_champions')) }}))
    {%- else %}
        stable_unit('heldout:{{ var("split_seed") }}:' || champion_key) < {{ var('heldout_ratio') }}
    {%- endif %}
),
positions as (
    select facts.champion_key, list(facts.value order by coalesce(position_order.rank, 99), facts.value) as positions
    from facts left join position_order on position_order.position = facts.value
    where facts.fact_type = 'position'
    group by all
),
subclasses as (
    select
        facts.champion_key,
        list(distinct facts.value order by facts.value) as subclasses,
        list(distinct subclass_classes.class order by subclass_classes.class)
            filter (where subclass_classes.class is not null) as classes
    from facts
    left join {{ ref('subclass_classes') }} as subclass_classes on subclass_classes.subclass = facts.value
    where facts.fact_type = 'subclass'
    group by all
),
scalars as (
    select
        champion_key,
        min(value) filter (where fact_type = 'name') as name,
        min(value) filter (where fact_type = 'title') as title,
        list(distinct value order by value) filter (where fact_type = 'tag') as tags
    from facts
    group by all
),
sources as (
    select champion_key, list(distinct source order by source) as sources
    from {{ ref('int_champion_facts') }}
    group by all
),
splits as (
    select substr(group_key, length('champion:') + 1) as champion_key, split
    from {{ ref('int_split_groups') }}
    where group_key like 'champion:%'
)
select
    keys.champion_key,
    coalesce(scalars.name, keys.champion_key) as name,
    scalars.title,
    coalesce(positions.positions, []::varchar[]) as positions,
    coalesce(subclasses.classes, []::varchar[]) as classes,
    coalesce(subclasses.subclasses, []::varchar[]) as subclasses,
    coalesce(scalars.tags, []::varchar[]) as tags,
    sources.sources,
    case
        when heldout.champion_key is not null then 'heldout'
        when splits.split is not null then splits.split
        when stable_unit('split:{{ var("split_seed") }}:' || keys.champion_key) < {{ var('validation_ratio') }} then 'validation'
        else 'train'
    end as embedding_split
from keys
left join scalars using (champion_key)
left join positions using (champion_key)
left join subclasses using (champion_key)
left join sources using (champion_key)
left join heldout using (champion_key)
left join splits using (champion_key)
