-- Schema version 2: what kind of activity a meeting is, and open invitations as data.
-- Meetings loaded before this migration get 'other'; `kommundialog reextract` reads their
-- stored pages again with the current extractor and records the real activity as a new version.
-- The views that count "dialogue activity" count the activities 'dialogue' and 'council'
-- (DIALOGUE_ACTIVITIES in tasks/records.py).

ALTER TABLE meetings ADD COLUMN activity VARCHAR DEFAULT 'other';
UPDATE meetings SET activity = 'other' WHERE activity IS NULL;
COMMENT ON COLUMN meetings.activity IS 'Kind of activity, from the page''s own words: dialogue, council (advisory councils), committee (nämnd, fullmäktige), information or other. Meetings loaded before schema version 2 are other until re-extracted.';

ALTER TABLE meeting_versions ADD COLUMN activity VARCHAR DEFAULT 'other';
UPDATE meeting_versions SET activity = 'other' WHERE activity IS NULL;
COMMENT ON COLUMN meeting_versions.activity IS 'As in meetings.';

CREATE TABLE invitations (
    invitation_id VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    municipality_code VARCHAR NOT NULL,
    page_url VARCHAR NOT NULL,
    title VARCHAR,
    topics VARCHAR[],
    channels VARCHAR[],
    mailbox VARCHAR,
    deadline DATE,
    published DATE,
    content_hash VARCHAR,
    fetched_at TIMESTAMPTZ,
    extractor_version VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE invitations IS 'Invitations to take part (a dialogue to sign up for, no date yet), one per page; replaced when the page is read again, removed when it no longer invites or is gone.';
COMMENT ON COLUMN invitations.invitation_id IS 'Stable id from the page address (i- + 16 hex).';
COMMENT ON COLUMN invitations.source_id IS 'Source (see sources).';
COMMENT ON COLUMN invitations.municipality_code IS 'SCB municipality code (see municipalities).';
COMMENT ON COLUMN invitations.page_url IS 'Page the invitation was read from.';
COMMENT ON COLUMN invitations.title IS 'Page title.';
COMMENT ON COLUMN invitations.topics IS 'Topic ids (see topics).';
COMMENT ON COLUMN invitations.channels IS 'How to sign up or register interest: email, phone, form, ...';
COMMENT ON COLUMN invitations.mailbox IS 'Functional mailbox to write to (never a personal address).';
COMMENT ON COLUMN invitations.deadline IS 'Last day to sign up, when the page names one.';
COMMENT ON COLUMN invitations.published IS 'Publication date of the page.';
COMMENT ON COLUMN invitations.content_hash IS 'Provenance: raw snapshot read.';
COMMENT ON COLUMN invitations.fetched_at IS 'Provenance: when it was fetched.';
COMMENT ON COLUMN invitations.extractor_version IS 'Provenance: extractor version.';
COMMENT ON COLUMN invitations.first_seen_at IS 'When first seen.';
COMMENT ON COLUMN invitations.last_seen_at IS 'When last found on its page.';
COMMENT ON COLUMN invitations.run_id IS 'Run that last wrote this row.';

DROP VIEW upcoming_meetings;
CREATE VIEW upcoming_meetings AS
SELECT m.meeting_id, mu.municipality, m.municipality_code, mu.county, m.title, m.activity, m.meeting_date,
       m.start_time, m.end_time, m.starts_at, m.place, m.address, m.attendance, m.status, m.topics,
       m.theme, m.organiser, m.page_url
FROM meetings m LEFT JOIN municipalities mu USING (municipality_code)
WHERE m.state = 'active' AND m.meeting_date >= CAST(timezone('Europe/Stockholm', now()) AS DATE)
ORDER BY m.meeting_date, m.start_time NULLS LAST;
COMMENT ON VIEW upcoming_meetings IS 'Meetings still stated on their pages, from today (Europe/Stockholm) on, cancelled ones included with their status; every activity.';

DROP VIEW meetings_by_month;
CREATE VIEW meetings_by_month AS
SELECT m.municipality_code, mu.municipality, CAST(date_trunc('month', m.meeting_date) AS DATE) AS month,
       count(*) AS meetings,
       count(*) FILTER (WHERE m.activity IN ('dialogue', 'council')) AS dialogue_meetings,
       count(*) FILTER (WHERE m.status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE m.attendance IN ('online', 'hybrid')) AS with_online
FROM meetings m LEFT JOIN municipalities mu USING (municipality_code)
WHERE m.meeting_date IS NOT NULL AND m.state = 'active'
GROUP BY ALL ORDER BY month, m.municipality_code;
COMMENT ON VIEW meetings_by_month IS 'Active meetings per municipality and month (first day of the month): total of every activity, dialogue activity (dialogue and council), cancelled, with online attendance.';

DROP VIEW topic_activity;
CREATE VIEW topic_activity AS
SELECT t.topic_id, t.label_sv, t.label_en, CAST(date_trunc('month', m.meeting_date) AS DATE) AS month,
       count(*) AS meetings, count(DISTINCT m.municipality_code) AS municipalities
FROM (SELECT *, unnest(topics) AS topic_id FROM meetings WHERE state = 'active') m
JOIN topics t USING (topic_id)
WHERE m.meeting_date IS NOT NULL
GROUP BY ALL ORDER BY month, meetings DESC;
COMMENT ON VIEW topic_activity IS 'Active meetings per topic and month (first day of the month), and in how many municipalities.';
