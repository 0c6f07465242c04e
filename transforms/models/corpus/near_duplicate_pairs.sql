-- Near-duplicate documents (paraphrases, mirrored pages): MinHash over word 3-shingles,
-- candidate pairs from 10 LSH bands of 6 values (a band threshold near 0.68, so weakly similar
-- pairs are rarely scored), kept when the estimated Jaccard similarity reaches
-- var('near_duplicate_threshold'). Such pairs are kept in one split.
with signatures as (
    select document_id, minhash(text) as signature
    from {{ ref('int_documents_clean') }}
    where source <> 'kit_card'  -- cards share their wording by design: they are not mirrored pages
),
bands as (
    select document_id, band, hash(signature[band * 6 + 1 : band * 6 + 6]) as band_hash
    from signatures, range(10) as bands(band)
),
candidates as (
    select distinct a.document_id as document_id_a, b.document_id as document_id_b
    from bands as a
    join bands as b
      on a.band = b.band and a.band_hash = b.band_hash and a.document_id < b.document_id
),
scored as (
    select
        candidates.document_id_a,
        candidates.document_id_b,
        minhash_similarity(a.signature, b.signature) as similarity
    from candidates
    join signatures as a on a.document_id = candidates.document_id_a
    join signatures as b on b.document_id = candidates.document_id_b
)
select * from scored
where similarity >= {{ var('near_duplicate_threshold') }}
