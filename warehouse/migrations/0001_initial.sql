-- The warehouse schema, version 1. Times: TIMESTAMPTZ for moments (fetches,
-- runs, validity); meeting_date + start_time/end_time are the Europe/Stockholm
-- local times the pages state, and starts_at/ends_at the same moments as TIMESTAMPTZ.

CREATE TABLE municipalities (
    municipality_code VARCHAR PRIMARY KEY,
    municipality VARCHAR NOT NULL,
    county_code VARCHAR NOT NULL,
    county VARCHAR NOT NULL
);
COMMENT ON TABLE municipalities IS 'All 290 Swedish municipalities (SCB kommunkod), reference data from config/municipalities.csv.';
COMMENT ON COLUMN municipalities.municipality_code IS 'SCB municipality code, 4 digits, e.g. 2401.';
COMMENT ON COLUMN municipalities.municipality IS 'Municipality name, e.g. Nordmaling.';
COMMENT ON COLUMN municipalities.county_code IS 'SCB county code, 2 digits, e.g. 24.';
COMMENT ON COLUMN municipalities.county IS 'County name, e.g. Västerbottens län.';

CREATE TABLE topics (
    topic_id VARCHAR PRIMARY KEY,
    label_sv VARCHAR NOT NULL,
    label_en VARCHAR NOT NULL
);
COMMENT ON TABLE topics IS 'Controlled topic vocabulary (config/topics.yaml).';
COMMENT ON COLUMN topics.topic_id IS 'Topic identifier used in meetings.topics, e.g. elderly_care.';
COMMENT ON COLUMN topics.label_sv IS 'Swedish label.';
COMMENT ON COLUMN topics.label_en IS 'English label.';

CREATE TABLE runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,
    sources INTEGER,
    pages INTEGER,
    meetings INTEGER,
    summaries INTEGER,
    errors INTEGER,
    error_messages VARCHAR[]
);
COMMENT ON TABLE runs IS 'One row per collect run (or re-extraction): when, outcome and totals.';
COMMENT ON COLUMN runs.run_id IS 'Run identifier: UTC start time plus a random suffix.';
COMMENT ON COLUMN runs.started_at IS 'When the run started.';
COMMENT ON COLUMN runs.finished_at IS 'When the run finished; NULL while running or after a crash.';
COMMENT ON COLUMN runs.status IS 'running, ok (no errors), partial (some pages or sources failed) or reextract.';
COMMENT ON COLUMN runs.sources IS 'Sources in the registry for this run.';
COMMENT ON COLUMN runs.pages IS 'Pages loaded by this run.';
COMMENT ON COLUMN runs.meetings IS 'Meetings extracted by this run.';
COMMENT ON COLUMN runs.summaries IS 'Meeting summaries extracted by this run.';
COMMENT ON COLUMN runs.errors IS 'Number of error messages.';
COMMENT ON COLUMN runs.error_messages IS 'Plain-words errors: source, URL and reason.';

CREATE TABLE sources (
    source_id VARCHAR PRIMARY KEY,
    municipality VARCHAR NOT NULL,
    municipality_code VARCHAR NOT NULL,
    profile VARCHAR NOT NULL,
    start_urls VARCHAR[] NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE sources IS 'Sources as the registry (config/sources.yaml) described them at their last run.';
COMMENT ON COLUMN sources.source_id IS 'Registry id, e.g. nordmaling-socialtjansten.';
COMMENT ON COLUMN sources.municipality IS 'Municipality name.';
COMMENT ON COLUMN sources.municipality_code IS 'SCB municipality code (see municipalities).';
COMMENT ON COLUMN sources.profile IS 'CMS profile used to read the pages (config/profiles.yaml).';
COMMENT ON COLUMN sources.start_urls IS 'Pages always fetched for this source.';
COMMENT ON COLUMN sources.updated_at IS 'When this row was last written.';

CREATE TABLE source_runs (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    pages_examined INTEGER NOT NULL,
    meetings_extracted INTEGER NOT NULL,
    new INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    rescheduled INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    disappeared INTEGER NOT NULL,
    suspect BOOLEAN NOT NULL,
    suspect_reason VARCHAR,
    loaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, source_id)
);
COMMENT ON TABLE source_runs IS 'Per run and source: what the load found changed, and whether the source looked broken.';
COMMENT ON COLUMN source_runs.run_id IS 'Run (see runs).';
COMMENT ON COLUMN source_runs.source_id IS 'Source (see sources).';
COMMENT ON COLUMN source_runs.pages_examined IS 'Pages read again or gone this run: the only pages whose meetings were compared.';
COMMENT ON COLUMN source_runs.meetings_extracted IS 'Meetings the extractor found on those pages.';
COMMENT ON COLUMN source_runs.new IS 'Meetings seen for the first time.';
COMMENT ON COLUMN source_runs.unchanged IS 'Meetings found again without change.';
COMMENT ON COLUMN source_runs.updated IS 'Meetings with a changed field other than a cancellation.';
COMMENT ON COLUMN source_runs.rescheduled IS 'Meetings moved to another day (same stable id; previous start kept).';
COMMENT ON COLUMN source_runs.cancelled IS 'Meetings whose status became cancelled.';
COMMENT ON COLUMN source_runs.disappeared IS 'Meetings no longer stated on a page read again (not the same as cancelled).';
COMMENT ON COLUMN source_runs.suspect IS 'True when extraction collapsed or selectors stopped matching: nothing was marked disappeared.';
COMMENT ON COLUMN source_runs.suspect_reason IS 'Why the source was flagged suspect.';
COMMENT ON COLUMN source_runs.loaded_at IS 'When the batch was loaded.';

CREATE TABLE pages (
    url VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    final_url VARCHAR,
    fetched_at TIMESTAMPTZ NOT NULL,
    http_status INTEGER,
    content_type VARCHAR,
    content_hash VARCHAR,
    error VARCHAR,
    kind VARCHAR,
    title VARCHAR,
    published DATE,
    extractor_version VARCHAR,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE pages IS 'Latest state of every page a source fetched: HTTP outcome, content hash and what extraction made of it.';
COMMENT ON COLUMN pages.url IS 'Address requested.';
COMMENT ON COLUMN pages.source_id IS 'Source that fetched it.';
COMMENT ON COLUMN pages.final_url IS 'Address after redirects.';
COMMENT ON COLUMN pages.fetched_at IS 'When it was last fetched.';
COMMENT ON COLUMN pages.http_status IS 'HTTP status of the last fetch (NULL when no response).';
COMMENT ON COLUMN pages.content_type IS 'Content-Type header.';
COMMENT ON COLUMN pages.content_hash IS 'SHA-256 of the body: the raw snapshot (see raw_snapshots).';
COMMENT ON COLUMN pages.error IS 'Why the last fetch failed, in plain words.';
COMMENT ON COLUMN pages.kind IS 'meeting, summary, invitation or other.';
COMMENT ON COLUMN pages.title IS 'Page title.';
COMMENT ON COLUMN pages.published IS 'Publication date from metadata or the page text.';
COMMENT ON COLUMN pages.extractor_version IS 'Extractor version that read the stored content.';
COMMENT ON COLUMN pages.run_id IS 'Run that wrote this row.';

CREATE TABLE raw_snapshots (
    content_hash VARCHAR PRIMARY KEY,
    bytes BIGINT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    first_url VARCHAR NOT NULL
);
COMMENT ON TABLE raw_snapshots IS 'Raw page bodies archived (gzip) under data/raw/, one per content hash; internal, never published.';
COMMENT ON COLUMN raw_snapshots.content_hash IS 'SHA-256 of the body; the file is raw/<first two hex>/<hash>.html.gz.';
COMMENT ON COLUMN raw_snapshots.bytes IS 'Body size before compression.';
COMMENT ON COLUMN raw_snapshots.first_seen_at IS 'When this content was first fetched.';
COMMENT ON COLUMN raw_snapshots.first_url IS 'Where it was first fetched from.';

CREATE TABLE fetch_log (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    final_url VARCHAR,
    purpose VARCHAR NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    http_status INTEGER,
    bytes BIGINT,
    elapsed_ms INTEGER,
    attempts INTEGER,
    outcome VARCHAR NOT NULL,
    reason VARCHAR,
    error VARCHAR,
    etag VARCHAR,
    last_modified VARCHAR,
    content_hash VARCHAR
);
COMMENT ON TABLE fetch_log IS 'Every URL a run asked for or decided about (pages, robots.txt, sitemaps, feeds).';
COMMENT ON COLUMN fetch_log.run_id IS 'Run.';
COMMENT ON COLUMN fetch_log.source_id IS 'Source.';
COMMENT ON COLUMN fetch_log.url IS 'Address asked for.';
COMMENT ON COLUMN fetch_log.final_url IS 'Address after redirects.';
COMMENT ON COLUMN fetch_log.purpose IS 'page, robots, sitemap or feed.';
COMMENT ON COLUMN fetch_log.requested_at IS 'When the request started.';
COMMENT ON COLUMN fetch_log.http_status IS 'HTTP status (NULL without a response).';
COMMENT ON COLUMN fetch_log.bytes IS 'Body bytes received.';
COMMENT ON COLUMN fetch_log.elapsed_ms IS 'Time taken, all attempts.';
COMMENT ON COLUMN fetch_log.attempts IS 'Requests made, retries included.';
COMMENT ON COLUMN fetch_log.outcome IS 'fetched, unchanged, duplicate, robots, out_of_scope or failed.';
COMMENT ON COLUMN fetch_log.reason IS 'Short class of why, unless fetched (timeout, http_404, too_large, ...).';
COMMENT ON COLUMN fetch_log.error IS 'Plain-words error.';
COMMENT ON COLUMN fetch_log.etag IS 'ETag validator for the next conditional request.';
COMMENT ON COLUMN fetch_log.last_modified IS 'Last-Modified validator for the next conditional request.';
COMMENT ON COLUMN fetch_log.content_hash IS 'SHA-256 of the body received.';

CREATE TABLE crawl_summaries (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    pages INTEGER,
    fetched INTEGER,
    unchanged INTEGER,
    duplicate INTEGER,
    skipped_by_robots INTEGER,
    out_of_scope INTEGER,
    failed INTEGER,
    failed_by_reason VARCHAR,
    over_limit INTEGER,
    PRIMARY KEY (run_id, source_id)
);
COMMENT ON TABLE crawl_summaries IS 'Per run and source: what became of the URLs (fetched, unchanged, skipped by robots, out of scope, failed).';
COMMENT ON COLUMN crawl_summaries.run_id IS 'Run.';
COMMENT ON COLUMN crawl_summaries.source_id IS 'Source.';
COMMENT ON COLUMN crawl_summaries.pages IS 'Page URLs considered.';
COMMENT ON COLUMN crawl_summaries.fetched IS 'New or changed pages fetched.';
COMMENT ON COLUMN crawl_summaries.unchanged IS 'Pages unchanged since the last run (304 or same hash).';
COMMENT ON COLUMN crawl_summaries.duplicate IS 'Pages that redirected to one already fetched.';
COMMENT ON COLUMN crawl_summaries.skipped_by_robots IS 'URLs robots.txt disallows.';
COMMENT ON COLUMN crawl_summaries.out_of_scope IS 'URLs outside the source''s hosts or paths, or on non-public addresses.';
COMMENT ON COLUMN crawl_summaries.failed IS 'URLs that failed.';
COMMENT ON COLUMN crawl_summaries.failed_by_reason IS 'JSON object: failure reason to count.';
COMMENT ON COLUMN crawl_summaries.over_limit IS 'Links not followed because of the page limit.';

CREATE TABLE meetings (
    meeting_id VARCHAR PRIMARY KEY,
    extracted_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    municipality_code VARCHAR NOT NULL,
    page_url VARCHAR NOT NULL,
    title VARCHAR,
    meeting_date DATE,
    month_day VARCHAR,
    year_basis VARCHAR,
    start_time TIME,
    end_time TIME,
    starts_at TIMESTAMPTZ,
    ends_at TIMESTAMPTZ,
    place VARCHAR,
    address VARCHAR,
    attendance VARCHAR,
    status VARCHAR NOT NULL,
    topics VARCHAR[],
    theme VARCHAR,
    organiser VARCHAR,
    state VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    last_change VARCHAR NOT NULL,
    previous_starts_at TIMESTAMPTZ,
    content_hash VARCHAR,
    fetched_at TIMESTAMPTZ,
    extractor_version VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    last_changed_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE meetings IS 'Current state of every meeting ever seen; history in meeting_versions.';
COMMENT ON COLUMN meetings.meeting_id IS 'Stable id: kept when a meeting is rescheduled (m- + 16 hex; never contains the title).';
COMMENT ON COLUMN meetings.extracted_id IS 'Id the extractor gives it now (page address + day); differs from meeting_id after a reschedule.';
COMMENT ON COLUMN meetings.source_id IS 'Source (see sources).';
COMMENT ON COLUMN meetings.municipality_code IS 'SCB municipality code (see municipalities).';
COMMENT ON COLUMN meetings.page_url IS 'Page the meeting was read from.';
COMMENT ON COLUMN meetings.title IS 'Meeting title (the page title, or the body for a next meeting named in a summary).';
COMMENT ON COLUMN meetings.meeting_date IS 'Day of the meeting; NULL when no year could be inferred (see month_day).';
COMMENT ON COLUMN meetings.month_day IS 'MM-DD when the page gives no basis for a year.';
COMMENT ON COLUMN meetings.year_basis IS 'How the year was found: text, heading, published, url, page_text, fetched, weekday, structured_data, summary.';
COMMENT ON COLUMN meetings.start_time IS 'Start, Europe/Stockholm local time as the page states it.';
COMMENT ON COLUMN meetings.end_time IS 'End, Europe/Stockholm local time.';
COMMENT ON COLUMN meetings.starts_at IS 'Start as a time-zone-aware moment (meeting_date + start_time in Europe/Stockholm).';
COMMENT ON COLUMN meetings.ends_at IS 'End as a time-zone-aware moment.';
COMMENT ON COLUMN meetings.place IS 'Venue, room or floor.';
COMMENT ON COLUMN meetings.address IS 'Street address with town.';
COMMENT ON COLUMN meetings.attendance IS 'in_person, online or hybrid (NULL when the page does not say).';
COMMENT ON COLUMN meetings.status IS 'scheduled, cancelled or postponed, as the page states.';
COMMENT ON COLUMN meetings.topics IS 'Topic ids (see topics).';
COMMENT ON COLUMN meetings.theme IS 'Theme of this date, when a list gives one per date.';
COMMENT ON COLUMN meetings.organiser IS 'Organising unit, e.g. Socialtjänsten.';
COMMENT ON COLUMN meetings.state IS 'active (stated on its page at the last read) or disappeared (no longer stated; not the same as cancelled).';
COMMENT ON COLUMN meetings.version IS 'Current version number (see meeting_versions).';
COMMENT ON COLUMN meetings.last_change IS 'Kind of the last change: new, updated, rescheduled, cancelled or disappeared.';
COMMENT ON COLUMN meetings.previous_starts_at IS 'Start before the last reschedule.';
COMMENT ON COLUMN meetings.content_hash IS 'Provenance: raw snapshot the current version was read from (see raw_snapshots).';
COMMENT ON COLUMN meetings.fetched_at IS 'Provenance: when that snapshot was fetched.';
COMMENT ON COLUMN meetings.extractor_version IS 'Provenance: extractor version that read it.';
COMMENT ON COLUMN meetings.first_seen_at IS 'When the meeting was first seen.';
COMMENT ON COLUMN meetings.last_seen_at IS 'When it was last found on its page.';
COMMENT ON COLUMN meetings.last_changed_at IS 'When its current version began.';
COMMENT ON COLUMN meetings.run_id IS 'Run that last wrote this row.';

CREATE TABLE meeting_versions (
    meeting_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to TIMESTAMPTZ,
    change_kind VARCHAR NOT NULL,
    changed_fields VARCHAR[],
    extracted_id VARCHAR NOT NULL,
    page_url VARCHAR NOT NULL,
    title VARCHAR,
    meeting_date DATE,
    month_day VARCHAR,
    year_basis VARCHAR,
    start_time TIME,
    end_time TIME,
    starts_at TIMESTAMPTZ,
    ends_at TIMESTAMPTZ,
    place VARCHAR,
    address VARCHAR,
    attendance VARCHAR,
    status VARCHAR NOT NULL,
    topics VARCHAR[],
    theme VARCHAR,
    organiser VARCHAR,
    state VARCHAR NOT NULL,
    content_hash VARCHAR,
    fetched_at TIMESTAMPTZ,
    extractor_version VARCHAR,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (meeting_id, version)
);
COMMENT ON TABLE meeting_versions IS 'History of every meeting: one row per version, valid from/to; the current version has valid_to NULL.';
COMMENT ON COLUMN meeting_versions.meeting_id IS 'Stable meeting id (see meetings).';
COMMENT ON COLUMN meeting_versions.version IS 'Version number, 1 for the first sighting.';
COMMENT ON COLUMN meeting_versions.valid_from IS 'When this version was first seen.';
COMMENT ON COLUMN meeting_versions.valid_to IS 'When the next version replaced it; NULL for the current version.';
COMMENT ON COLUMN meeting_versions.change_kind IS 'new, updated, rescheduled, cancelled, disappeared or reextracted.';
COMMENT ON COLUMN meeting_versions.changed_fields IS 'Fields that differ from the previous version.';
COMMENT ON COLUMN meeting_versions.extracted_id IS 'Extractor id at this version.';
COMMENT ON COLUMN meeting_versions.page_url IS 'Page it was read from.';
COMMENT ON COLUMN meeting_versions.title IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.meeting_date IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.month_day IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.year_basis IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.start_time IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.end_time IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.starts_at IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.ends_at IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.place IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.address IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.attendance IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.status IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.topics IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.theme IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.organiser IS 'As in meetings.';
COMMENT ON COLUMN meeting_versions.state IS 'active or disappeared.';
COMMENT ON COLUMN meeting_versions.content_hash IS 'Provenance: raw snapshot read.';
COMMENT ON COLUMN meeting_versions.fetched_at IS 'Provenance: when it was fetched.';
COMMENT ON COLUMN meeting_versions.extractor_version IS 'Provenance: extractor version.';
COMMENT ON COLUMN meeting_versions.run_id IS 'Run that wrote this version.';

CREATE TABLE meeting_aliases (
    extracted_id VARCHAR PRIMARY KEY,
    meeting_id VARCHAR NOT NULL
);
COMMENT ON TABLE meeting_aliases IS 'Extractor ids that belong to an earlier stable meeting id (after a reschedule).';
COMMENT ON COLUMN meeting_aliases.extracted_id IS 'Id the extractor gives (page address + day).';
COMMENT ON COLUMN meeting_aliases.meeting_id IS 'Stable meeting id it maps to.';

CREATE TABLE summaries (
    summary_id VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    municipality_code VARCHAR NOT NULL,
    page_url VARCHAR NOT NULL,
    body VARCHAR,
    meeting_date DATE,
    year_basis VARCHAR,
    start_time TIME,
    end_time TIME,
    item_count INTEGER,
    confidential_item_count INTEGER,
    next_meeting_date DATE,
    content_hash VARCHAR,
    fetched_at TIMESTAMPTZ,
    extractor_version VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE summaries IS 'Summaries of committee meetings that took place ("Socialnämnden ... i korthet"), one per page.';
COMMENT ON COLUMN summaries.summary_id IS 'Stable id from the page address (s- + 16 hex).';
COMMENT ON COLUMN summaries.source_id IS 'Source.';
COMMENT ON COLUMN summaries.municipality_code IS 'SCB municipality code.';
COMMENT ON COLUMN summaries.page_url IS 'Page it was read from.';
COMMENT ON COLUMN summaries.body IS 'The committee or council, e.g. Socialnämnden.';
COMMENT ON COLUMN summaries.meeting_date IS 'Day of the meeting reported.';
COMMENT ON COLUMN summaries.year_basis IS 'How its year was found (see meetings.year_basis).';
COMMENT ON COLUMN summaries.start_time IS 'Start, Europe/Stockholm local time.';
COMMENT ON COLUMN summaries.end_time IS 'End, Europe/Stockholm local time.';
COMMENT ON COLUMN summaries.item_count IS 'Agenda items the meeting handled.';
COMMENT ON COLUMN summaries.confidential_item_count IS 'Of which confidential (sekretess).';
COMMENT ON COLUMN summaries.next_meeting_date IS 'Next meeting named in the summary.';
COMMENT ON COLUMN summaries.content_hash IS 'Provenance: raw snapshot read.';
COMMENT ON COLUMN summaries.fetched_at IS 'Provenance: when it was fetched.';
COMMENT ON COLUMN summaries.extractor_version IS 'Provenance: extractor version.';
COMMENT ON COLUMN summaries.first_seen_at IS 'When first seen.';
COMMENT ON COLUMN summaries.last_seen_at IS 'When last seen.';
COMMENT ON COLUMN summaries.run_id IS 'Run that last wrote this row.';

CREATE TABLE agenda_items (
    summary_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    title VARCHAR NOT NULL,
    confidential BOOLEAN NOT NULL,
    PRIMARY KEY (summary_id, position)
);
COMMENT ON TABLE agenda_items IS 'Items a summary reports (its headings), in page order.';
COMMENT ON COLUMN agenda_items.summary_id IS 'Summary (see summaries).';
COMMENT ON COLUMN agenda_items.position IS 'Order on the page, from 1.';
COMMENT ON COLUMN agenda_items.title IS 'Item heading, e.g. Information om romsk inkludering.';
COMMENT ON COLUMN agenda_items.confidential IS 'True when the item is marked confidential.';

CREATE VIEW upcoming_meetings AS
SELECT m.meeting_id, mu.municipality, m.municipality_code, mu.county, m.title, m.meeting_date,
       m.start_time, m.end_time, m.starts_at, m.place, m.address, m.attendance, m.status, m.topics,
       m.theme, m.organiser, m.page_url
FROM meetings m LEFT JOIN municipalities mu USING (municipality_code)
WHERE m.state = 'active' AND m.meeting_date >= CAST(timezone('Europe/Stockholm', now()) AS DATE)
ORDER BY m.meeting_date, m.start_time NULLS LAST;
COMMENT ON VIEW upcoming_meetings IS 'Meetings still stated on their pages, from today (Europe/Stockholm) on, cancelled ones included with their status.';

CREATE VIEW meetings_by_month AS
SELECT m.municipality_code, mu.municipality, date_trunc('month', m.meeting_date) AS month,
       count(*) AS meetings,
       count(*) FILTER (WHERE m.status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE m.attendance IN ('online', 'hybrid')) AS with_online
FROM meetings m LEFT JOIN municipalities mu USING (municipality_code)
WHERE m.meeting_date IS NOT NULL AND m.state = 'active'
GROUP BY ALL ORDER BY month, m.municipality_code;
COMMENT ON VIEW meetings_by_month IS 'Active meetings per municipality and calendar month: total, cancelled, with online attendance.';

CREATE VIEW topic_activity AS
SELECT t.topic_id, t.label_sv, t.label_en, date_trunc('month', m.meeting_date) AS month,
       count(*) AS meetings, count(DISTINCT m.municipality_code) AS municipalities
FROM (SELECT *, unnest(topics) AS topic_id FROM meetings WHERE state = 'active') m
JOIN topics t USING (topic_id)
WHERE m.meeting_date IS NOT NULL
GROUP BY ALL ORDER BY month, meetings DESC;
COMMENT ON VIEW topic_activity IS 'Active meetings per topic and month, and in how many municipalities.';

CREATE VIEW recent_changes AS
SELECT v.valid_from AS changed_at, v.change_kind, v.changed_fields, v.meeting_id, m.source_id,
       m.municipality_code, v.title, v.meeting_date, v.start_time, v.status, v.state, v.page_url,
       p.meeting_date AS previous_date, p.start_time AS previous_start_time, p.status AS previous_status
FROM meeting_versions v
JOIN meetings m USING (meeting_id)
LEFT JOIN meeting_versions p ON p.meeting_id = v.meeting_id AND p.version = v.version - 1
WHERE v.valid_from >= now() - INTERVAL 30 DAY
ORDER BY v.valid_from DESC, v.meeting_id;
COMMENT ON VIEW recent_changes IS 'Versions begun in the last 30 days, with the previous date, start and status for comparison.';

CREATE VIEW source_health AS
WITH last_run AS (
    SELECT source_id, max(run_id) AS run_id FROM source_runs GROUP BY source_id
)
SELECT s.source_id, s.municipality, s.municipality_code, r.run_id AS last_run_id, r.loaded_at AS last_loaded_at,
       r.suspect, r.suspect_reason, r.pages_examined, r.meetings_extracted,
       c.fetched, c.unchanged, c.failed, c.skipped_by_robots, c.failed_by_reason,
       (SELECT count(*) FROM meetings m WHERE m.source_id = s.source_id AND m.state = 'active') AS active_meetings,
       (SELECT max(p.fetched_at) FROM pages p WHERE p.source_id = s.source_id AND p.error IS NULL) AS last_good_fetch
FROM sources s
LEFT JOIN last_run USING (source_id)
LEFT JOIN source_runs r ON r.source_id = s.source_id AND r.run_id = last_run.run_id
LEFT JOIN crawl_summaries c ON c.source_id = s.source_id AND c.run_id = last_run.run_id
ORDER BY r.suspect DESC NULLS LAST, c.failed DESC NULLS LAST, s.source_id;
COMMENT ON VIEW source_health IS 'Per source at its last run: suspect flag, pages fetched/unchanged/failed, active meetings, last good fetch.';
