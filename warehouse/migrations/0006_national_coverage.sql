-- Issue 13: the national registry, pages read with a detected CMS profile, and coverage per body and run.

ALTER TABLE pages ADD COLUMN profile VARCHAR;
COMMENT ON COLUMN pages.profile IS 'CMS profile the page was read with: the source''s, or the one detected on the page for discover: auto sources (sitevision, wordpress, episerver, generic).';
COMMENT ON COLUMN fetch_log.purpose IS 'page, robots, sitemap, feed, search (a site search asked by discovery) or index (a home page or listing read by discovery).';

CREATE TABLE bodies (
    body_code VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    county VARCHAR,
    origin VARCHAR,
    origin_source VARCHAR NOT NULL
);
COMMENT ON TABLE bodies IS 'The national registry: all 290 municipalities and 21 regions with their website origin and where it came from (config/municipalities.csv, config/regions.csv).';
COMMENT ON COLUMN bodies.body_code IS 'SCB code: 4 digits for a municipality (see municipalities), 2 for a region.';
COMMENT ON COLUMN bodies.kind IS 'municipality or region.';
COMMENT ON COLUMN bodies.name IS 'Name, e.g. Nordmaling or Region Västerbotten.';
COMMENT ON COLUMN bodies.county IS 'County (län) of a municipality; the region itself for a region.';
COMMENT ON COLUMN bodies.origin IS 'Website origin, e.g. https://www.nordmaling.se; NULL when it could not be confirmed (the body is not covered).';
COMMENT ON COLUMN bodies.origin_source IS 'Where the origin came from, or why there is none.';

CREATE TABLE source_coverage (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    body_code VARCHAR NOT NULL,
    discovery VARCHAR NOT NULL,
    cms VARCHAR,
    candidates INTEGER,
    relevant_candidates INTEGER,
    pages_fetched INTEGER NOT NULL,
    pages_unchanged INTEGER NOT NULL,
    pages_failed INTEGER NOT NULL,
    index_documents INTEGER NOT NULL,
    meetings INTEGER NOT NULL,
    summaries INTEGER NOT NULL,
    new_meetings INTEGER NOT NULL,
    health VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, source_id)
);
COMMENT ON TABLE source_coverage IS 'Per run and source: how much of the body''s site was found and read, what it gave, and how healthy it looked.';
COMMENT ON COLUMN source_coverage.run_id IS 'Run (see runs).';
COMMENT ON COLUMN source_coverage.source_id IS 'Source (see sources).';
COMMENT ON COLUMN source_coverage.body_code IS 'Municipality or region (see bodies).';
COMMENT ON COLUMN source_coverage.discovery IS 'auto (pages found from the site''s own indexes) or follow (a hand-written follow rule).';
COMMENT ON COLUMN source_coverage.cms IS 'CMS detected on the home page (discovery only).';
COMMENT ON COLUMN source_coverage.candidates IS 'Pages the site''s sitemaps, feeds, search and listings named (discovery only).';
COMMENT ON COLUMN source_coverage.relevant_candidates IS 'Candidates whose score reached the threshold of config/discovery.yaml (discovery only).';
COMMENT ON COLUMN source_coverage.pages_fetched IS 'Pages downloaded this run (new or changed).';
COMMENT ON COLUMN source_coverage.pages_unchanged IS 'Pages unchanged since the last run (304, same content, or an older sitemap lastmod).';
COMMENT ON COLUMN source_coverage.pages_failed IS 'Pages that failed.';
COMMENT ON COLUMN source_coverage.index_documents IS 'robots.txt, sitemaps, feeds, search and listing pages read to find the pages.';
COMMENT ON COLUMN source_coverage.meetings IS 'Active meetings the source holds after the run.';
COMMENT ON COLUMN source_coverage.summaries IS 'Meeting summaries the source holds after the run.';
COMMENT ON COLUMN source_coverage.new_meetings IS 'Meetings seen for the first time in this run.';
COMMENT ON COLUMN source_coverage.health IS 'ok, nothing found (no page reached the threshold), degraded (some pages failed), unreachable (the site did not answer) or suspect (extraction collapsed).';
COMMENT ON COLUMN source_coverage.recorded_at IS 'When the run loaded the source.';

CREATE VIEW coverage AS
WITH last AS (
    SELECT source_id, max(run_id) AS run_id FROM source_coverage GROUP BY source_id
), latest AS (
    SELECT c.* FROM source_coverage c JOIN last USING (source_id, run_id)
), per_body AS (
    SELECT body_code, count(*) AS sources, sum(candidates) AS candidates,
           sum(relevant_candidates) AS relevant_candidates, sum(pages_fetched) AS pages_fetched,
           max(recorded_at) AS last_run_at,
           CASE WHEN bool_and(health = 'ok') THEN 'ok'
                WHEN bool_or(health = 'unreachable') THEN 'unreachable'
                WHEN bool_or(health = 'suspect') THEN 'suspect'
                WHEN bool_or(health = 'degraded') THEN 'degraded'
                ELSE min(health) END AS health,
           string_agg(DISTINCT cms, ', ') AS cms
    FROM latest GROUP BY body_code
), found AS (
    SELECT municipality_code AS body_code, count(*) FILTER (WHERE state = 'active') AS meetings,
           max(first_seen_at) AS last_new_meeting_at
    FROM meetings GROUP BY municipality_code
), reported AS (
    SELECT municipality_code AS body_code, count(*) AS summaries FROM summaries GROUP BY municipality_code
)
SELECT b.body_code, b.kind, b.name, b.county, b.origin, b.origin_source,
       p.sources, p.cms, p.candidates, p.relevant_candidates, p.pages_fetched, p.last_run_at,
       coalesce(f.meetings, 0) AS meetings, coalesce(r.summaries, 0) AS summaries, f.last_new_meeting_at,
       p.health,
       CASE WHEN coalesce(f.meetings, 0) + coalesce(r.summaries, 0) > 0 THEN 'publishes'
            WHEN p.body_code IS NOT NULL THEN 'nothing found'
            WHEN b.origin IS NULL THEN 'not covered'
            ELSE 'not crawled' END AS status
FROM bodies b
LEFT JOIN per_body p USING (body_code)
LEFT JOIN found f USING (body_code)
LEFT JOIN reported r USING (body_code)
ORDER BY b.kind, b.body_code;
COMMENT ON VIEW coverage IS 'Per municipality and region: origin, last run''s candidates and pages, meetings, last new meeting, health, and status: publishes, nothing found, not crawled (origin known, no run yet) or not covered (no confirmed origin).';
