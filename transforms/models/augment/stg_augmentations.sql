{{ config(materialized='view') }}
-- raw.augmentations, latest generation only: when a work item (task, subject) was generated
-- more than once (a new prompt version, another model), only its most recent answer counts,
-- so each document is paraphrased once and each champion has one card per task.
-- A generation counts when it has a row that is not 'failed' (a malformed answer that was never
-- repaired leaves only failed rows, and then an older good generation stays in use).
-- Published models downstream keep status = 'ok' only: failed and rejected rows stay here for audit.
with generations as (
    select task, subject, request_hash, max(created_at) as generated_at
    from {{ source('raw', 'augmentations') }}
    where status <> 'failed'
    group by all
),
latest as (
    select task, subject, arg_max(request_hash, generated_at) as request_hash
    from generations
    group by all
)
select
    augmentations.augmentation_id,
    augmentations.task,
    augmentations.kind,
    augmentations.subject,
    augmentations.request_hash,
    augmentations.model,
    augmentations.prompt_version,
    augmentations.source_ids,
    augmentations.champion,
    augmentations.split,
    augmentations.title,
    augmentations.text,
    augmentations.messages,
    augmentations.attributes,
    augmentations.verdicts,
    augmentations.status,
    augmentations.error,
    augmentations.created_at
from {{ source('raw', 'augmentations') }} as augmentations
join latest using (task, subject, request_hash)
