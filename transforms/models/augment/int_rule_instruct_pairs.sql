-- Rule-based instruction pairs, available offline (no API): factual questions about each champion
-- from main.champions, and "what does this ability do" / "tell me about" questions answered by a
-- corpus chunk.  Each template is one row of the Jinja list below: (fact, question, answer, needs).
{% set fact_templates = [
    ('position', "'Which position is ' || name || ' played in?'",
                 "name || ' is played in the ' || positions_text || '.'", 'positions_text'),
    ('class', "'What class of champion is ' || name || '?'",
              "name || ' is a ' || classes_text || ' champion' || coalesce(' of the ' || subclass_detail || case when subclass_detail like '% and %' then ' subclasses' else ' subclass' end, '') || '.'", 'classes_text'),
    ('subclass', "'Which subclass does ' || name || ' belong to?'",
                 "name || ' belongs to the ' || subclasses_text || case when subclasses_text like '% and %' then ' subclasses.' else ' subclass.' end", 'subclasses_text'),
    ('title', "'What is ' || name || '''s title?'", "name || ' is known as ' || title || '.'", 'title'),
    ('who', "'Who is ' || title || '?'", "upper(left(title, 1)) || substr(title, 2) || ' is ' || name || ', a ' || coalesce(classes_text, 'League of Legends') || ' champion.'", 'title'),
    ('overview', "'Give me a short overview of ' || name || '.'",
                 "name || coalesce(', ' || title, '') || ', is a ' || coalesce(classes_text, 'League of Legends') || ' champion' || coalesce(' (' || subclass_detail || ')', '') || coalesce(', usually played in the ' || positions_text, '') || '.'", 'name'),
] %}
with fact_pairs as (
    {% for fact, question, answer, needs in fact_templates %}
    select
        md5('rule-fact|' || champion || '|' || {{ sql_string(fact) }}) as pair_id,
        'rule-fact' as kind,
        {{ question }} as question,
        {{ answer }} as answer,
        champion,
        split,
        ['champions:' || champion] as source_ids
    from {{ ref('int_champion_phrases') }}
    where {{ needs }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
section_chunks as (
    select
        chunks.chunk_id,
        chunks.champion,
        chunks.split,
        chunks.text,
        phrases.name,
        trim(regexp_extract(chunks.section, '([^>]*)$', 1)) as leaf,
        chunks.section ilike 'abilities%' as is_ability
    from {{ ref('corpus_chunks') }} as chunks
    join {{ ref('int_champion_phrases') }} as phrases using (champion)
    where chunks.source not like 'augment:%'
      and nullif(trim(chunks.section), '') is not null
      and chunks.n_tokens >= {{ var('augment_min_answer_tokens', 12) }}
),
section_pairs as (
    select
        md5('rule-section|' || chunk_id) as pair_id,
        'rule-section' as kind,
        case when is_ability then 'What does ' || name || '''s ability ' || leaf || ' do?'
             else 'What should I know about ' || name || ' (' || leaf || ')?' end as question,
        text as answer,
        champion,
        split,
        [chunk_id] as source_ids
    from section_chunks
    where leaf <> ''
)
select pair_id, kind, question, answer, champion, split, source_ids from fact_pairs
union all
select pair_id, kind, question, answer, champion, split, source_ids from section_pairs
