-- Every sentence with the mask rules applied in file order, then tidied (empty brackets, doubled
-- spaces, space before punctuation), with its token count: each sentence is tokenised once here,
-- and splits and chunks reuse the counts. Which sentences are kept is int_sentence_drops' business:
-- it judges both the original and the masked text, since a mask can leave a line a drop rule
-- would have removed (a ratio masked out of 'Damage: (+ 60% AP) 6 ...').
{%- set masks = rules.patch_independence.rules | selectattr('action', 'equalto', 'mask') | list %}
{%- set expression = namespace(sql='sentences.sentence') %}
{%- for rule in masks %}
{%- set expression.sql = "regexp_replace(" ~ expression.sql ~ ", " ~ sql_string(rule.pattern) ~ ", " ~ sql_string(rule.replacement) ~ ", 'g')" %}
{%- endfor %}
with masked as (
    select
        sentences.document_id,
        sentences.sentence_no,
        sentences.sentence as original,
        {{ expression.sql }} as sentence
    from {{ ref('int_sentences') }} as sentences
),
tidied as (
    select
        document_id,
        sentence_no,
        original,
        trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            sentence,
            '\(\s*[,;]?\s*\)|\[\s*\]', '', 'g'),
            '\s+([,.;:!?)])', '\1', 'g'),
            '([(])\s+', '\1', 'g'),
            '\s{2,}', ' ', 'g')) as sentence
    from masked
)
select *, count_tokens(sentence) as n_tokens
from tidied
where regexp_matches(sentence, '[A-Za-z]{2,}')
