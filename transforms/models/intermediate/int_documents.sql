-- Documents with their champion resolved to a champion key (NULL when the page is not about one).
select
    documents.document_id,
    documents.source,
    documents.url,
    aliases.champion_key as champion,
    documents.champion_ref,
    documents.entity,
    documents.entity_type,
    documents.title,
    documents.section_path,
    documents.text,
    documents.content_hash
from {{ ref('stg_documents') }} as documents
left join {{ ref('int_champion_aliases') }} as aliases
    on aliases.alias_key = regexp_replace(lower(documents.champion_ref), '[^a-z0-9]', '', 'g')
