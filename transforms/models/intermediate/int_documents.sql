-- Crawled and augmented documents and kit cards, with the champion resolved to a champion key (NULL when the
-- page is not about one). derived_from links a paraphrase to the document it rewrites, so the two
-- always share a split.
with documents as (
    select
        document_id, source, url, champion_ref, entity, entity_type, title, section_path, text, content_hash
    from {{ ref('stg_documents') }}
    union all
    select
        document_id, source, url, champion as champion_ref, null as entity, 'augmentation' as entity_type,
        title, section_path, clean_text(text) as text, md5(text) as content_hash
    from {{ ref('augmented_documents') }}
    union all  -- kit cards written from non-label facts (champions/champion_kit_cards.sql)
    select
        md5('kit_card|' || url) as document_id, 'kit_card' as source, url, champion as champion_ref,
        null as entity, 'kit_card' as entity_type, title, section_path, text, md5(text) as content_hash
    from {{ ref('champion_kit_cards') }}
)
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
    documents.content_hash,
    case when documents.url like 'augment://paraphrase/%'
         then substr(documents.url, length('augment://paraphrase/') + 1) end as derived_from
from documents
left join {{ ref('int_champion_aliases') }} as aliases
    on aliases.alias_key = champion_alias_key(documents.champion_ref)
