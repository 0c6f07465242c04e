-- The latest version of every landed document, as clean text.
-- A document is one (source, url); older versions stay in raw.documents as history.
with ranked as (
    select
        *,
        row_number() over (
            partition by source, url order by fetched_at desc, document_version_id desc
        ) as version_rank
    from {{ source('raw', 'documents') }}
)
select
    md5(source || '|' || url) as document_id,
    document_version_id,
    source,
    url,
    -- wiki pages name their champion by title (entity), not by key; int_documents resolves both
    coalesce(nullif(trim(champion), ''), case when entity_type = 'champion' then entity end) as champion_ref,
    entity,
    entity_type,
    clean_text(title) as title,
    coalesce(clean_text(section_path), '') as section_path,
    -- spiders land plain text in `text` (forum posts are already decoded: "Max Q > E > W" is text, not
    -- markup); only a document landed as html alone is read as HTML
    coalesce(clean_text(nullif(text, '')), html_to_text(html)) as text,
    language,
    author,
    created_at,
    score,
    link_url,
    parent_entity,
    content_hash,
    fetched_at
from ranked
where version_rank = 1
  and coalesce(nullif(text, ''), html) is not null
