-- Passages removed whole by drop_section rules, matched against 'title > section path'.
-- Patterns are spliced in as constants (one branch per rule) so DuckDB compiles each regex once.
{%- set drops = rules.patch_independence.rules | selectattr('action', 'equalto', 'drop_section') | list %}
with passages as (
    select document_id, concat_ws(' > ', nullif(title, ''), nullif(section_path, '')) as heading
    from {{ ref('int_documents') }}
),
hits as (
{%- for rule in drops %}
    select document_id, {{ sql_string(rule.name) }} as rule, 'drop_section' as action, heading as matched_text, {{ loop.index }} as rule_order
    from passages where regexp_matches(heading, {{ sql_string(rule.pattern) }})
    {{ "union all" if not loop.last }}
{%- endfor %}
{%- if not drops %}
    select null::varchar as document_id, null::varchar as rule, null::varchar as action, null::varchar as matched_text, 0 as rule_order
    where false
{%- endif %}
)
select document_id, rule, action, matched_text
from hits
qualify row_number() over (partition by document_id order by rule_order) = 1
