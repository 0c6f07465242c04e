-- Embedding triplets from rules/triplets.yml.
--   kind 'champion': (anchor name, positive name, negative name) by shared positions/classes/subclasses
--   kind 'text':     (champion name, a chunk about it, a chunk about a champion sharing none of its facts)
-- Anchor and positive come from one embedding split; so does the negative of a training triplet,
-- while a validation triplet may take a training champion as its negative (small validation sets
-- rarely hold a champion sharing nothing with the anchor). Held-out champions are never used.
{%- set settings = rules.triplets %}
with champions as (
    select champion_key, name, embedding_split as split, classes[1] as primary_class
    from {{ ref('champions') }}
    where embedding_split in ('train', 'validation')
),
facts as (
    select champion_key, 'position' as fact, unnest(positions) as value from {{ ref('champions') }}
    union all
    select champion_key, 'class', unnest(classes) from {{ ref('champions') }}
    union all
    select champion_key, 'subclass', unnest(subclasses) from {{ ref('champions') }}
),
shared as (
    -- the fact types each ordered pair of champions shares a value of
    select a.champion_key as a, b.champion_key as b, list(distinct a.fact) as facts
    from facts as a
    join facts as b on a.fact = b.fact and a.value = b.value and a.champion_key <> b.champion_key
    group by all
),
pairs as (
    -- candidate (anchor, other) pairs: same split, or a training champion for a validation anchor
    select
        a.champion_key as a,
        b.champion_key as b,
        a.split,
        a.split = b.split as same_split,
        coalesce(shared.facts, []::varchar[]) as facts
    from champions as a
    join champions as b
      on a.champion_key <> b.champion_key
     and (a.split = b.split or (a.split = 'validation' and b.split = 'train'))
    left join shared on shared.a = a.champion_key and shared.b = b.champion_key
),
rules as (
    select * from {{ ref('rules_triplets') }}
),
positives as (
    select
        rules.name as rule,
        pairs.a as anchor,
        pairs.b as positive,
        pairs.split,
        row_number() over (
            partition by rules.name, pairs.a
            order by stable_unit('{{ settings.seed }}:p:' || rules.name || pairs.a || pairs.b), pairs.b
        ) as rank
    from rules join pairs on pairs.same_split and len(list_intersect(pairs.facts, rules.positive_shares)) > 0
),
negatives as (
    select
        rules.name as rule,
        pairs.a as anchor,
        pairs.b as negative,
        count(*) over (partition by rules.name, pairs.a) as candidates,
        row_number() over (
            partition by rules.name, pairs.a
            order by stable_unit('{{ settings.seed }}:n:' || rules.name || pairs.a || pairs.b), pairs.b
        ) as rank
    from rules
    join pairs
      on len(list_intersect(pairs.facts, rules.negative_avoids)) = 0
     and (len(rules.negative_shares) = 0 or len(list_intersect(pairs.facts, rules.negative_shares)) > 0)
),
champion_triplets as (
    select positives.rule, positives.anchor, positives.positive, negatives.negative, positives.split
    from positives
    join rules on rules.name = positives.rule
    join negatives
      on negatives.rule = positives.rule
     and negatives.anchor = positives.anchor
     and negatives.rank = (positives.rank - 1) % negatives.candidates + 1
    where positives.rank <= rules.per_anchor
),
balanced as (
    -- at most per_class_cap triplets per (rule, anchor class)
    select champion_triplets.*
    from champion_triplets
    join champions on champions.champion_key = champion_triplets.anchor
    qualify row_number() over (
        partition by champion_triplets.rule, champions.primary_class
        order by stable_unit('{{ settings.seed }}:c:' || champion_triplets.rule || anchor || positive || negative)
    ) <= {{ settings.per_class_cap }}
),
chunks as (
    -- a few candidate chunks per champion (by stable hash), enough for its text triplets
    select chunk_id, champion, text, split
    from {{ ref('corpus_chunks') }}
    where champion is not null
      -- reserved for evaluation, and any chunk repeating a reserved chunk's text
      and text not in (select reserved.text from {{ ref('eval_query_chunks') }} as reserved)
    qualify row_number() over (
        partition by champion order by stable_unit('{{ settings.seed }}:chunk:' || chunk_id)
    ) <= {{ settings.text_per_champion * 2 }}
),
text_positives as (
    select
        champions.champion_key as anchor,
        chunks.chunk_id,
        chunks.text,
        champions.split,
        row_number() over (
            partition by champions.champion_key
            order by stable_unit('{{ settings.seed }}:tp:' || chunks.chunk_id)
        ) as rank
    from champions
    join chunks on chunks.champion = champions.champion_key
),
text_negatives as (
    select
        pairs.a as anchor,
        chunks.chunk_id,
        chunks.text,
        chunks.champion,
        count(*) over (partition by pairs.a) as candidates,
        row_number() over (
            partition by pairs.a
            order by stable_unit('{{ settings.seed }}:tn:' || pairs.a || chunks.chunk_id)
        ) as rank
    from pairs
    join chunks on chunks.champion = pairs.b
    where len(list_intersect(pairs.facts, {{ sql_list(settings.text_negative_avoids) }})) = 0
),
text_triplets as (
    select
        'name_to_knowledge' as rule,
        text_positives.anchor,
        text_positives.text as positive,
        text_negatives.text as negative,
        text_negatives.champion as negative_champion,
        text_positives.split
    from text_positives
    join text_negatives
      on text_negatives.anchor = text_positives.anchor
     and text_negatives.rank = (text_positives.rank - 1) % text_negatives.candidates + 1
    where text_positives.rank <= {{ settings.text_per_champion }}
),
named as (
    select
        'champion' as kind,
        balanced.rule,
        anchor_champion.name as anchor,
        positive_champion.name as positive,
        negative_champion.name as negative,
        balanced.anchor as anchor_champion,
        balanced.positive as positive_champion,
        balanced.negative as negative_champion,
        balanced.split
    from balanced
    join champions as anchor_champion on anchor_champion.champion_key = balanced.anchor
    join champions as positive_champion on positive_champion.champion_key = balanced.positive
    join champions as negative_champion on negative_champion.champion_key = balanced.negative
    union all
    select
        'text' as kind,
        text_triplets.rule,
        anchor_champion.name,
        text_triplets.positive,
        text_triplets.negative,
        text_triplets.anchor,
        text_triplets.anchor,
        text_triplets.negative_champion,
        text_triplets.split
    from text_triplets
    join champions as anchor_champion on anchor_champion.champion_key = text_triplets.anchor
)
select
    md5(kind || '|' || rule || '|' || anchor || '|' || positive || '|' || negative) as triplet_id,
    *
from named
