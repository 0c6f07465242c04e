-- Embedding triplets from rules/triplets.yml.
--   kind 'champion': (anchor name, positive name, negative name) by shared positions/classes/subclasses
--   kind 'text':     (champion name, a chunk about it, a chunk about a champion sharing none of its facts)
-- Anchor and positive come from one embedding split; so does the negative of a training triplet,
-- while a validation triplet may take a training champion as its negative (small validation sets
-- rarely hold a champion sharing nothing with the anchor). Held-out champions are never used.
-- An anchor draws its candidates from buckets of at most candidate_pool champions (per fact value it
-- holds, and one of its whole split), so the work grows linearly with the champions; where every
-- group fits in one bucket (the real snapshot), every candidate is considered.
{%- set settings = rules.triplets %}
with champions as (
    select champion_key, name, embedding_split as split, classes[1] as primary_class, positions, classes, subclasses
    from {{ ref('champions') }}
    where embedding_split in ('train', 'validation')
),
facts as (
    select champion_key, 'position' as fact, unnest(positions) as value from champions
    union all
    select champion_key, 'class', unnest(classes) from champions
    union all
    select champion_key, 'subclass', unnest(subclasses) from champions
),
members as (
    -- whom an anchor of each split may pair with: its own split, and training champions for a
    -- validation anchor
    select universe.split as universe, champions.champion_key, champions.split
    from champions
    join (values ('train'), ('validation')) as universe(split)
      on champions.split = universe.split or (universe.split = 'validation' and champions.split = 'train')
),
groups as (
    -- the members sharing each fact value, and 'any': the whole universe
    select members.universe, facts.fact, facts.value, members.champion_key, members.split
    from members join facts using (champion_key)
    union all
    select universe, 'any', '', champion_key, split from members
),
buckets as (
    -- each group dealt round-robin, in stable-hash order, into buckets of at most candidate_pool
    select
        *,
        (row_number() over (
            partition by universe, fact, value
            order by stable_unit('{{ settings.seed }}:pool:' || fact || ':' || value || ':' || champion_key), champion_key
        ) - 1) % ceil(count(*) over (partition by universe, fact, value) / {{ settings.candidate_pool }}) as bucket
    from groups
),
pairs as (
    -- (anchor, candidate) from the anchor's bucket of each group holding it, 'via' that group's fact
    select
        anchor.champion_key as a,
        other.champion_key as b,
        anchor.fact as via,
        anchor.split,
        other.split = anchor.split as same_split
    from buckets as anchor
    join buckets as other
      on other.universe = anchor.universe
     and other.fact = anchor.fact
     and other.value = anchor.value
     and other.bucket = anchor.bucket
     and other.champion_key <> anchor.champion_key
    where anchor.split = anchor.universe
),
rules as (
    select * from {{ ref('rules_triplets') }}
),
positive_candidates as (
    -- same split, met through a group of a fact the rule's positive shares (so sharing it)
    select distinct rules.name as rule, rules.per_anchor, pairs.a, pairs.b, pairs.split
    from rules join pairs on pairs.same_split and list_contains(rules.positive_shares, pairs.via)
),
positives as (
    select
        rule,
        a as anchor,
        b as positive,
        split,
        row_number() over (
            partition by rule, a
            order by stable_unit('{{ settings.seed }}:p:' || rule || a || b), b
        ) as rank
    from positive_candidates
    qualify rank <= per_anchor
),
negative_pairs as (
    -- the pairs a negative can come from, with the fact types the two share a value of
    select
        pairs.a,
        pairs.b,
        pairs.via,
        list_filter([
            case when list_has_any(a.positions, b.positions) then 'position' end,
            case when list_has_any(a.classes, b.classes) then 'class' end,
            case when list_has_any(a.subclasses, b.subclasses) then 'subclass' end
        ], lambda fact: fact is not null) as facts
    from pairs
    join champions as a on a.champion_key = pairs.a
    join champions as b on b.champion_key = pairs.b
    where pairs.via = 'any' or pairs.via in (select unnest(negative_shares) from rules)
),
negative_candidates as (
    -- met through a group of a fact the rule's negative shares (the whole universe when none),
    -- sharing none of the facts it avoids
    select distinct rules.name as rule, negative_pairs.a, negative_pairs.b
    from rules
    join negative_pairs
      on len(list_intersect(negative_pairs.facts, rules.negative_avoids)) = 0
     and (list_contains(rules.negative_shares, negative_pairs.via)
          or (len(rules.negative_shares) = 0 and negative_pairs.via = 'any'))
),
negatives as (
    select
        rule,
        a as anchor,
        b as negative,
        count(*) over (partition by rule, a) as candidates,
        row_number() over (
            partition by rule, a
            order by stable_unit('{{ settings.seed }}:n:' || rule || a || b), b
        ) as rank
    from negative_candidates
),
champion_triplets as (
    select positives.rule, positives.anchor, positives.positive, negatives.negative, positives.split
    from positives
    join negatives
      on negatives.rule = positives.rule
     and negatives.anchor = positives.anchor
     and negatives.rank = (positives.rank - 1) % negatives.candidates + 1
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
    -- chunks of the anchor's whole-universe bucket sharing none of text_negative_avoids (text joined later)
    select
        negative_pairs.a as anchor,
        chunks.chunk_id,
        chunks.champion,
        count(*) over (partition by negative_pairs.a) as candidates,
        row_number() over (
            partition by negative_pairs.a
            order by stable_unit('{{ settings.seed }}:tn:' || negative_pairs.a || chunks.chunk_id)
        ) as rank
    from negative_pairs
    join chunks on chunks.champion = negative_pairs.b
    where negative_pairs.via = 'any'
      and len(list_intersect(negative_pairs.facts, {{ sql_list(settings.text_negative_avoids) }})) = 0
),
text_triplets as (
    select
        'name_to_knowledge' as rule,
        text_positives.anchor,
        text_positives.text as positive,
        negative_chunks.text as negative,
        text_negatives.champion as negative_champion,
        text_positives.split
    from text_positives
    join text_negatives
      on text_negatives.anchor = text_positives.anchor
     and text_negatives.rank = (text_positives.rank - 1) % text_negatives.candidates + 1
    join chunks as negative_chunks on negative_chunks.chunk_id = text_negatives.chunk_id
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
