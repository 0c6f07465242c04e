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
    -- text is what the spider decoded (plain: "I <3 this champ" stays); html is markup, read only when
    -- a passage landed no text
    case when nullif(trim(text), '') is not null then clean_text(text) else html_to_text(html) end as text,
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
