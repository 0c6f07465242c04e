-- Token-aware chunks of the corpus: sentences packed up to var('chunk_max_tokens') tokens of
-- var('chunk_tokenizer') (counted once per sentence upstream), with var('chunk_overlap_tokens')
-- of overlap; deterministic.
with chunked as (
    select
        documents.document_id,
        documents.source,
        documents.champion,
        coalesce(nullif(documents.section_path, ''), documents.title) as section,
        documents.split,
        pack_sentences(
            clean.sentences, clean.sentence_tokens, {{ var('chunk_max_tokens') }}, {{ var('chunk_overlap_tokens') }}
        ) as chunks
    from {{ ref('corpus_documents') }} as documents
    join {{ ref('int_documents_clean') }} as clean using (document_id)
),
flat as (
    select
        document_id,
        source,
        champion,
        section,
        split,
        unnest(chunks) as chunk,
        generate_subscripts(chunks, 1) as chunk_no
    from chunked
)
select
    md5(document_id || ':' || chunk_no) as chunk_id,
    document_id,
    source,
    champion,
    section,
    chunk.text as text,
    chunk.n_tokens as n_tokens,
    split,
    chunk_no
from flat
where chunk.n_tokens >= {{ var('chunk_min_tokens') }}
