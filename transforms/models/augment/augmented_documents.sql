-- Documents written by the Anthropic API (`riftlab augment`): paraphrases of corpus documents,
-- champion cards, matchup strategies and role analyses.  The corpus models read them like crawled
-- documents (same cleaning, patch-independence rules, chunking and split by champion group).
-- split_hint: the split of the source when the text was generated (a paraphrase inherits its
-- document's split; the others their champion's).
select
    'augment-' || augmentation_id as document_id,
    'augment:' || task as source,
    'augment://' || task || '/' || coalesce(attributes ->> 'source_document_id', champion, subject) as url,
    champion,
    title,
    coalesce(attributes ->> 'section_path', '') as section_path,
    text,
    split as split_hint
from {{ ref('stg_augmentations') }}
where status = 'ok'
  and task in ('paraphrase', 'champion-cards', 'matchups', 'roles')
  and text is not null
  and trim(text) <> ''
