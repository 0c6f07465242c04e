-- Train/validation by group: groups in a stable hash order fill validation until it holds
-- var('validation_ratio') of the tokens; the rest is train. Deterministic under var('split_seed').
with groups as (
    select groups.group_key, sum(documents.n_tokens) as tokens
    from {{ ref('int_document_groups') }} as groups
    join {{ ref('int_documents_clean') }} as documents using (document_id)
    group by all
),
ordered as (
    select
        group_key,
        tokens,
        coalesce(sum(tokens) over (
            order by stable_unit('{{ var("split_seed") }}:' || group_key), group_key
            rows between unbounded preceding and 1 preceding
        ), 0) as tokens_before,
        sum(tokens) over () as total_tokens
    from groups
)
select
    group_key,
    tokens,
    case when tokens_before < {{ var('validation_ratio') }} * total_tokens then 'validation' else 'train' end as split
from ordered
