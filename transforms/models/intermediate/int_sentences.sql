-- The sentences of every passage that no drop_section rule removed, numbered in order.
with split as (
    select document_id, split_sentences(text) as sentences
    from {{ ref('int_documents') }}
    where document_id not in (select document_id from {{ ref('int_section_drops') }})
)
select
    document_id,
    unnest(sentences) as sentence,
    generate_subscripts(sentences, 1) as sentence_no
from split
