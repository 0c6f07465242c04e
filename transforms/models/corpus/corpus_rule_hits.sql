-- Every removal the patch-independence rules made, so a person can audit each rule:
-- whole passages (drop_section), sentences (drop_sentence) and masked spans (mask).
{%- set masks = rules.patch_independence.rules | selectattr('action', 'equalto', 'mask') | list %}
select document_id, rule, action, matched_text from {{ ref('int_section_drops') }}
union all
select document_id, rule, action, matched_text from {{ ref('int_sentence_drops') }}
{%- for rule in masks %}
union all
select
    document_id,
    {{ sql_string(rule.name) }} as rule,
    'mask' as action,
    unnest(regexp_extract_all(original, {{ sql_string(rule.pattern) }})) as matched_text
from {{ ref('int_sentences_masked') }}
anti join {{ ref('int_sentence_drops') }} using (document_id, sentence_no)
where regexp_matches(original, {{ sql_string(rule.pattern) }})
{%- endfor %}
