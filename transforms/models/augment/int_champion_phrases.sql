{{ config(materialized='view') }}
-- Champion facts phrased for templated text: "top lane and jungle", "Fighter", "Diver and Juggernaut".
{% set position_words = {'Top': 'top lane', 'Jungle': 'jungle', 'Middle': 'middle lane', 'Bottom': 'bottom lane', 'Support': 'support role'} %}
with worded as (
    select
        champions.champion_key as champion,
        champions.name,
        nullif(trim(champions.title), '') as title,
        list_transform(champions.positions, lambda p: case p
            {% for position, words in position_words.items() %}when {{ sql_string(position) }} then {{ sql_string(words) }}
            {% endfor %}else lower(p) end) as position_words,
        champions.classes,
        champions.subclasses,
        champions.embedding_split,
        splits.split
    from {{ ref('champions') }} as champions
    join {{ ref('int_champion_splits') }} as splits on splits.champion = champions.champion_key
)
select
    champion,
    name,
    title,
    split,
    embedding_split,
    -- "a, b and c"; NULL for an empty list
    nullif(regexp_replace(array_to_string(position_words, ', '), ', ([^,]*)$', ' and \1'), '') as positions_text,
    nullif(regexp_replace(array_to_string(classes, ', '), ', ([^,]*)$', ' and \1'), '') as classes_text,
    nullif(regexp_replace(array_to_string(subclasses, ', '), ', ([^,]*)$', ' and \1'), '') as subclasses_text,
    -- the subclasses when they add something to the classes (a Marksman's subclass is Marksman)
    nullif(nullif(regexp_replace(array_to_string(list_filter(subclasses, lambda s: not list_contains(classes, s)), ', '),
                                 ', ([^,]*)$', ' and \1'), ''), classes_text) as subclass_detail,
    len(position_words) as n_positions,
    len(classes) as n_classes
from worded
