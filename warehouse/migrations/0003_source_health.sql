-- Source health per run (ok / degraded / broken, with reasons), the alerts sent
-- when a source breaks or recovers, and the runs' new end states.

CREATE TABLE source_checks (
    run_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    health VARCHAR NOT NULL,
    reasons VARCHAR[] NOT NULL,
    pages_read INTEGER NOT NULL,
    pages_failed INTEGER NOT NULL,
    collapsed_pages VARCHAR[] NOT NULL,
    last_new_item_at TIMESTAMPTZ,
    checked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, source_id)
);
COMMENT ON TABLE source_checks IS 'Per run and source: health (ok, degraded, broken) and why, written at the end of every run, also for sources whose crawl failed.';
COMMENT ON COLUMN source_checks.run_id IS 'Run (see runs).';
COMMENT ON COLUMN source_checks.source_id IS 'Source (see sources).';
COMMENT ON COLUMN source_checks.health IS 'ok; degraded (some pages failed, a page lost its meetings, or no new item in settings.stale_after_days); broken (the source failed, no page could be read, its selectors stopped matching, or its extraction collapsed).';
COMMENT ON COLUMN source_checks.reasons IS 'Why the source is degraded or broken, in plain words (empty when ok).';
COMMENT ON COLUMN source_checks.pages_read IS 'Pages fetched, unchanged (304 or same body) or duplicate this run.';
COMMENT ON COLUMN source_checks.pages_failed IS 'Pages whose fetch failed this run.';
COMMENT ON COLUMN source_checks.collapsed_pages IS 'Pages still served that lost every meeting they stated: their meetings were kept, not marked disappeared.';
COMMENT ON COLUMN source_checks.last_new_item_at IS 'When a meeting or summary of the source was last seen for the first time.';
COMMENT ON COLUMN source_checks.checked_at IS 'When the health was assessed.';

CREATE TABLE health_alerts (
    source_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    health VARCHAR NOT NULL,
    previous_health VARCHAR,
    channel VARCHAR NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    delivered BOOLEAN NOT NULL,
    error VARCHAR,
    PRIMARY KEY (source_id, run_id)
);
COMMENT ON TABLE health_alerts IS 'Notifications sent when a source turned broken or recovered (one per change, none while it stays broken).';
COMMENT ON COLUMN health_alerts.source_id IS 'Source (see sources).';
COMMENT ON COLUMN health_alerts.run_id IS 'Run that found the change.';
COMMENT ON COLUMN health_alerts.health IS 'The health announced: broken, or ok/degraded for a recovery.';
COMMENT ON COLUMN health_alerts.previous_health IS 'The health of the last delivered alert (NULL: none before).';
COMMENT ON COLUMN health_alerts.channel IS 'Where it went: webhook and its host.';
COMMENT ON COLUMN health_alerts.sent_at IS 'When delivery was attempted.';
COMMENT ON COLUMN health_alerts.delivered IS 'False when the channel refused or was unreachable: the next run tries again.';
COMMENT ON COLUMN health_alerts.error IS 'Why delivery failed.';

COMMENT ON COLUMN runs.status IS 'running, ok (every source ok), partial (some source degraded or broken, or publishing failed), failed (every source broken), interrupted (Ctrl-C or SIGTERM), crashed (its process died; marked by the next writer), or reextract.';

CREATE OR REPLACE VIEW source_health AS
WITH last_run AS (
    SELECT source_id, max(run_id) AS run_id FROM source_runs GROUP BY source_id
), last_check AS (
    SELECT source_id, max(run_id) AS run_id FROM source_checks GROUP BY source_id
)
SELECT s.source_id, s.municipality, s.municipality_code, k.health, k.reasons AS health_reasons,
       k.run_id AS health_run_id, k.last_new_item_at,
       r.run_id AS last_run_id, r.loaded_at AS last_loaded_at,
       r.suspect, r.suspect_reason, r.pages_examined, r.meetings_extracted,
       c.fetched, c.unchanged, c.failed, c.skipped_by_robots, c.failed_by_reason,
       (SELECT count(*) FROM meetings m WHERE m.source_id = s.source_id AND m.state = 'active') AS active_meetings,
       (SELECT max(p.fetched_at) FROM pages p WHERE p.source_id = s.source_id AND p.error IS NULL) AS last_good_fetch
FROM sources s
LEFT JOIN last_run USING (source_id)
LEFT JOIN source_runs r ON r.source_id = s.source_id AND r.run_id = last_run.run_id
LEFT JOIN crawl_summaries c ON c.source_id = s.source_id AND c.run_id = last_run.run_id
LEFT JOIN last_check ON last_check.source_id = s.source_id
LEFT JOIN source_checks k ON k.source_id = s.source_id AND k.run_id = last_check.run_id
ORDER BY CASE k.health WHEN 'broken' THEN 0 WHEN 'degraded' THEN 1 ELSE 2 END, r.suspect DESC NULLS LAST,
         c.failed DESC NULLS LAST, s.source_id;
COMMENT ON VIEW source_health IS 'Per source: health at its last run (ok, degraded, broken, with reasons), then its last load: suspect flag, pages fetched/unchanged/failed, active meetings, last good fetch.';
