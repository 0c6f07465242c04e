-- Sentences removed by drop_sentence rules (the first matching rule, in file order, is logged with
-- the original sentence). A rule is matched against the original and the masked sentence.
-- Patterns are spliced in as constants (one branch per rule) so DuckDB compiles each regex once.
{%- set drops = rules.patch_independence.rules | selectattr('action', 'equalto', 'drop_sentence') | list %}
with hits as (
{%- for rule in drops %}
    select document_id, sentence_no, {{ sql_string(rule.name) }} as rule, 'drop_sentence' as action,
           original as matched_text, {{ loop.index }} as rule_order
    from {{ ref('int_sentences_masked') }}
    where regexp_matches(original, {{ sql_string(rule.pattern) }})
       or regexp_matches(sentence, {{ sql_string(rule.pattern) }})
    {{ "union all" if not loop.last }}
{%- endfor %}
{%- if not drops %}
    select null::varchar as document_id, null::bigint as sentence_no, null::varchar as rule,
           null::varchar as action, null::varchar as matched_text, 0 as rule_order
    where false
{%- endif %}
)
select document_id, sentence_no, rule, action, matched_text
from hits
qualify row_number() over (partition by document_id, sentence_no order by rule_order) = 1
