-- Kit cards: per champion, one patch-independent passage per `passage` of rules/kit_cards.yml,
-- written from the non-label facts (champion_kit_card_hits) in the rules' order.  They enter the
-- corpus as documents of source 'kit_card' (int_documents), in their champion's split group.
with names as (
    select champion_key as champion, min(value) as name
    from {{ ref('int_champion_facts') }}
    where chosen and fact_type = 'name'
    group by all
)
select
    hits.champion,
    hits.passage,
    'kit_card://' || hits.champion || '/' || hits.passage as url,
    coalesce(names.name, hits.champion) || ' kit card: ' || hits.passage as title,
    'Kit card > ' || upper(substr(hits.passage, 1, 1)) || substr(hits.passage, 2) as section_path,
    string_agg(hits.sentence, ' ' order by hits.rule_no) as text,
    count(*) as facts
from {{ ref('champion_kit_card_hits') }} as hits
left join names using (champion)
group by all
order by hits.champion, hits.passage
