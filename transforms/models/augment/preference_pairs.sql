-- Preference pairs for DPO (`riftlab train dpo`): a question, the answer the champion facts support
-- (chosen) and a plausible wrong one (rejected), offline.  The wrong answer is another champion's
-- value of the same fact (a position, a class, a resource, melee or ranged) that this champion does
-- not have, among the values at least `preference_min_holders` champions share (so no one-off
-- resource), picked by a stable hash.  Questions are worded as main.instruct_pairs words them.
-- Split: 'train' only for champions in the corpus train split that are not held out of embedding
-- training; every other champion's pairs are 'validation', so no held-out champion's fact is trained on.
-- With an API key, `riftlab prefer --model RUN` adds pairs the LLM judged (source 'llm-judge:...').
{% set position_words = {'Top': 'top lane', 'Jungle': 'jungle', 'Middle': 'middle lane', 'Bottom': 'bottom lane', 'Support': 'support role'} %}
{% set templates = [
    ('position', "'Which position is ' || name || ' played in?'", "name || ' is played in the ' || words || '.'"),
    ('class', "'What class of champion is ' || name || '?'", "name || ' is a ' || words || ' champion.'"),
    ('resource', "'What resource does ' || name || ' use?'", "name || ' uses ' || words || '.'"),
    ('attack_type', "'Is ' || name || ' melee or ranged?'", "name || ' is a ' || words || ' champion.'"),
] %}
with facts as (
    select champion_key as champion, fact_type as fact, value
    from {{ ref('int_champion_facts') }}
    where chosen and fact_type in ('position', 'resource', 'attack_type')
    union all
    select champion_key as champion, 'class' as fact, unnest(classes) as value
    from {{ ref('champions') }}
),
held as (
    select champion, fact, list(distinct value order by value) as held_values
    from facts
    group by all
),
common as (
    select fact, value
    from facts
    group by all
    having count(distinct champion) >= {{ var('preference_min_holders', 3) }}
),
wrong as (
    select
        held.champion,
        held.fact,
        held.held_values,
        arg_min(common.value, md5(held.champion || '|' || held.fact || '|' || common.value)) as wrong_value
    from held
    join common on common.fact = held.fact and not list_contains(held.held_values, common.value)
    group by all
),
worded as (
    select
        wrong.champion,
        wrong.fact,
        wrong.wrong_value,
        answer.kind,
        -- "a, b and c" in words: positions as lanes, resources and attack types in lower case
        regexp_replace(array_to_string(list_transform(answer.answer_values, lambda v: case
            when wrong.fact = 'position' then case v
                {% for position, words in position_words.items() %}when {{ sql_string(position) }} then {{ sql_string(words) }}
                {% endfor %}else lower(v) end
            when wrong.fact = 'resource' and v = 'NONE' then 'no resource'
            when wrong.fact in ('resource', 'attack_type') then lower(replace(v, '_', ' '))
            else v end), ', '), ', ([^,]*)$', ' and \1') as words
    from wrong,
        (select 'chosen' as kind, wrong.held_values as answer_values
         union all
         select 'rejected' as kind, [wrong.wrong_value] as answer_values) as answer
),
answers as (
    select
        worded.champion,
        worded.fact,
        worded.wrong_value,
        worded.kind,
        phrases.name,
        case when phrases.split = 'train' and phrases.embedding_split <> 'heldout' then 'train'
             else 'validation' end as split,
        worded.words
    from worded
    join {{ ref('int_champion_phrases') }} as phrases using (champion)
),
pairs as (
    {% for fact, question, answer in templates %}
    select
        champion,
        fact,
        wrong_value,
        split,
        {{ question }} as prompt,
        max({{ answer }}) filter (where kind = 'chosen') as chosen,
        max({{ answer }}) filter (where kind = 'rejected') as rejected
    from answers
    where fact = {{ sql_string(fact) }}
    group by all
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
rule_pairs as (
    select
        md5('rule-preference|' || champion || '|' || fact) as pair_id,
        prompt,
        chosen,
        rejected,
        'rules:' || fact || ' (wrong: ' || wrong_value || ')' as source,
        champion,
        fact,
        split
    from pairs
),
-- two answers of an sft run to a training question, the better one chosen by the LLM judge
-- (`riftlab prefer --model RUN`); its verdict and reason are kept in the source
judged_pairs as (
    select
        judged.augmentation_id as pair_id,
        judged.messages->>'$[0].content' as prompt,
        judged.attributes->>'chosen' as chosen,
        judged.attributes->>'rejected' as rejected,
        'llm-judge:' || judged.model || ' (' || (judged.attributes->>'verdict') || ': '
            || (judged.attributes->>'reason') || ')' as source,
        judged.champion,
        'judged' as fact,
        case when phrases.champion is null or (phrases.split = 'train' and phrases.embedding_split <> 'heldout')
             then coalesce(judged.split, 'train') else 'validation' end as split
    from {{ ref('stg_augmentations') }} as judged
    left join {{ ref('int_champion_phrases') }} as phrases on phrases.champion = judged.champion
    where judged.task = 'preference-judge' and judged.status = 'ok'
      and judged.attributes->>'chosen' <> judged.attributes->>'rejected'
)
select pair_id, prompt, chosen, rejected, source, champion, fact, split from rule_pairs
union all
select pair_id, prompt, chosen, rejected, source, champion, fact, split from judged_pairs
