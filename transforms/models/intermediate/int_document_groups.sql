-- The split group of every document: all documents of one champion form one group; near-duplicate
-- pairs and paraphrase links (derived_from) join their groups (connected components), so
-- paraphrases and mirrored pages never straddle splits.
with recursive nodes as (
    select document_id, coalesce('champion:' || champion, 'document:' || document_id) as node
    from {{ ref('int_documents_clean') }}
),
links as (
    select document_id_a, document_id_b from {{ ref('near_duplicate_pairs') }}
    union
    select document_id, derived_from from {{ ref('int_documents_clean') }} where derived_from is not null
),
edges as (
    select a.node as a, b.node as b
    from links
    join nodes as a on a.document_id = links.document_id_a
    join nodes as b on b.document_id = links.document_id_b
    where a.node <> b.node
),
undirected as (
    select a, b from edges
    union
    select b, a from edges
),
walk(node, label) as (
    select distinct node, node from nodes
    union
    select undirected.b, walk.label
    from walk join undirected on undirected.a = walk.node
),
components as (
    select node, min(label) as group_key from walk group by node
)
select nodes.document_id, components.group_key
from nodes join components using (node)
