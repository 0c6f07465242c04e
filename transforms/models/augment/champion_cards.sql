-- One text per champion and origin, for embedding training and evaluation: a rule-based card
-- (facts + the leading chunks about the champion, always there offline) and, when
-- `riftlab augment champion-cards` ran, the card the Anthropic API wrote.
-- split is the champion's embedding_split (train, validation, heldout).
with grounding as (
    select
        champion,
        chunk_id,
        text,
        sum(n_tokens) over (
            partition by champion
            order by (source = 'wiki') desc, document_id, chunk_id
            rows between unbounded preceding and current row
        ) as running_tokens,
        row_number() over (partition by champion order by (source = 'wiki') desc, document_id, chunk_id) as position
    from {{ ref('corpus_chunks') }}
    where champion is not null and source not like 'augment:%'
),
chosen as (
    select
        champion,
        string_agg(text, chr(10) || chr(10) order by position) as text,
        list(chunk_id order by position) as source_ids
    from grounding
    where position = 1 or running_tokens <= {{ var('augment_card_tokens', 250) }}
    group by champion
),
rule_cards as (
    select
        md5('rule-card|' || phrases.champion) as card_id,
        phrases.champion,
        phrases.name,
        'rules' as origin,
        phrases.name || coalesce(', ' || phrases.title, '') || '. '
            || phrases.name || ' is a ' || coalesce(phrases.classes_text, 'League of Legends') || ' champion'
            || coalesce(' (' || phrases.subclass_detail || ')', '')
            || coalesce(', usually played in the ' || phrases.positions_text, '') || '.'
            || coalesce(chr(10) || chr(10) || chosen.text, '') as text,
        phrases.embedding_split as split,
        coalesce(chosen.source_ids, []) as source_ids
    from {{ ref('int_champion_phrases') }} as phrases
    left join chosen using (champion)
),
llm_cards as (
    select
        augmentations.augmentation_id as card_id,
        augmentations.champion,
        phrases.name,
        'llm' as origin,
        augmentations.text,
        phrases.embedding_split as split,
        augmentations.source_ids
    from {{ ref('stg_augmentations') }} as augmentations
    join {{ ref('int_champion_phrases') }} as phrases using (champion)
    where augmentations.task = 'champion-cards' and augmentations.status = 'ok'
)
select * from rule_cards
union all
select * from llm_cards
