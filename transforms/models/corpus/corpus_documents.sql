-- Published patch-independent documents with their split.
select
    documents.document_id,
    documents.source,
    documents.url,
    documents.champion,
    documents.entity,
    documents.entity_type,
    documents.title,
    documents.section_path,
    documents.text,
    documents.content_hash,
    documents.normalized_hash,
    documents.n_tokens,
    groups.group_key,
    splits.split
from {{ ref('int_documents_clean') }} as documents
join {{ ref('int_document_groups') }} as groups using (document_id)
join {{ ref('int_split_groups') }} as splits using (group_key)
