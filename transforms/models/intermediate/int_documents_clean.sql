-- Patch-independent documents: kept sentences re-joined (and kept as a list with their token
-- counts, for chunking); exact duplicates (same normalised text) are kept once (smallest id wins).
with joined as (
    select
        documents.* exclude (text),
        string_agg(sentences.sentence, ' ' order by sentences.sentence_no) as text,
        list(sentences.sentence order by sentences.sentence_no) as sentences,
        list(sentences.n_tokens order by sentences.sentence_no) as sentence_tokens,
        sum(sentences.n_tokens)::bigint as n_tokens
    from {{ ref('int_documents') }} as documents
    join {{ ref('int_sentences_masked') }} as sentences using (document_id)
    anti join {{ ref('int_sentence_drops') }} as drops using (document_id, sentence_no)
    group by all
)
select
    *,
    md5(trim(regexp_replace(lower(text), '[^a-z0-9]+', ' ', 'g'))) as normalized_hash
from joined
qualify row_number() over (partition by normalized_hash order by document_id) = 1
