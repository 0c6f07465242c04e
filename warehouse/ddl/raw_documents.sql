-- Landed documents, one row per version: a (source, url) whose content hash did not change
-- is not landed again; a changed one lands as a new row, so history is kept.
-- A page split into passages gives each passage its own url fragment (page#Section/Sub).
CREATE TABLE IF NOT EXISTS raw.documents (
    document_version_id VARCHAR NOT NULL,  -- md5(source || url || content_hash)
    source VARCHAR NOT NULL,               -- spider: wiki, coaching, forum, meraki, ddragon
    url VARCHAR NOT NULL,
    champion VARCHAR,                      -- champion key (e.g. 'Aatrox', 'MonkeyKing') when about one champion
    entity VARCHAR,                        -- what the page is about otherwise (item, rune, thread id ...)
    entity_type VARCHAR,                   -- champion, ability, lore, item, rune, monster, guide, matchup, thread, post
    title VARCHAR,
    section_path VARCHAR,                  -- heading path, ' > ' separated; '' for a whole page
    text VARCHAR,
    html VARCHAR,
    language VARCHAR,
    revision_id VARCHAR,
    etag VARCHAR,
    content_hash VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    crawl_run_id VARCHAR NOT NULL,
    truncated_from_bytes BIGINT,           -- size before a cut at crawl.max_page_bytes; NULL: landed whole
    author VARCHAR,                        -- who wrote it (forum posts and comments)
    created_at TIMESTAMP,                  -- when it was written (UTC)
    score BIGINT,                          -- its score when this version landed
    link_url VARCHAR,                      -- a link post's target (url is its permalink)
    parent_entity VARCHAR                  -- the post (t3_...) or comment (t1_...) it answers: the thread tree
);
-- Warehouses made before truncated_from_bytes existed gain it here.
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS truncated_from_bytes BIGINT;
-- Warehouses made before the forum columns existed gain them here.
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS author VARCHAR;
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS created_at TIMESTAMP;
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS score BIGINT;
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS link_url VARCHAR;
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS parent_entity VARCHAR;
