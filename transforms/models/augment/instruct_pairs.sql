-- Chat-format instruction pairs for SFT: the rule-based pairs (always there, offline) and the
-- pairs the Anthropic API wrote (instruct-factual, instruct-strategic, instruct-role, self-instruct)
-- that parsed and passed the judges (status 'ok').  A pair's split is the split of the chunk it
-- was written from (else its champion's), so it never crosses the corpus split.
with rule_pairs as (
    select
        pair_id,
        kind,
        [{'role': 'user', 'content': question}, {'role': 'assistant', 'content': answer}] as messages,
        champion,
        split,
        source_ids
    from {{ ref('int_rule_instruct_pairs') }}
),
api_pairs as (
    select
        augmentations.augmentation_id as pair_id,
        augmentations.kind,
        from_json(augmentations.messages, '[{"role": "VARCHAR", "content": "VARCHAR"}]') as messages,
        augmentations.champion,
        coalesce(chunks.split, champion_splits.split, augmentations.split, 'train') as split,
        augmentations.source_ids
    from {{ ref('stg_augmentations') }} as augmentations
    left join {{ ref('corpus_chunks') }} as chunks on chunks.chunk_id = augmentations.source_ids[1]
    left join {{ ref('int_champion_splits') }} as champion_splits on champion_splits.champion = augmentations.champion
    where augmentations.status = 'ok'
      and augmentations.messages is not null
)
select pair_id, kind, messages, champion, split, source_ids from rule_pairs
union all
select pair_id, kind, messages, champion, split, source_ids from api_pairs
