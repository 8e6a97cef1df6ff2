"""The open-data catalogue: CSV, JSON and a web page built from the warehouse.

Files are built in a staging folder and moved into place one by one with
os.replace, so a reader never sees a half-written file and a failed build
leaves the previous files untouched.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb

from tasks.extract.fields import redact_personal_contacts
from tasks.extract.vocabulary import default_vocabulary

MEETING_COLUMNS = (
    "meeting_id",
    "municipality",
    "municipality_code",
    "title",
    "date",
    "month_day",
    "start",
    "end",
    "place",
    "address",
    "attendance",
    "status",
    "topics",
    "theme",
    "organiser",
    "page_url",
    "source_id",
    "year_basis",
    "first_seen_at",
    "last_seen_at",
)
SUMMARY_COLUMNS = (
    "summary_id",
    "municipality",
    "municipality_code",
    "body",
    "date",
    "start",
    "end",
    "item_count",
    "confidential_item_count",
    "items",
    "next_meeting_date",
    "page_url",
    "source_id",
)
# Text columns that come from scraped prose and so may carry contact details.
FREE_TEXT_COLUMNS = ("title", "place", "address", "theme", "organiser", "body", "items")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

MEETINGS_SQL = """
SELECT m.meeting_id, s.municipality, m.municipality_code, m.title,
       m.meeting_date AS date, m.month_day, m.start_time AS start, m.end_time AS "end",
       m.place, m.address, m.attendance, m.status, m.topics, m.theme, m.organiser,
       m.page_url, m.source_id, m.year_basis, m.first_seen_at, m.last_seen_at
FROM meetings m JOIN sources s USING (source_id)
ORDER BY m.meeting_date NULLS LAST, m.start_time NULLS LAST, m.meeting_id
"""
SUMMARIES_SQL = """
SELECT su.summary_id, s.municipality, su.municipality_code, su.body,
       su.meeting_date AS date, su.start_time AS start, su.end_time AS "end",
       su.item_count, su.confidential_item_count, su.items_json AS items,
       su.next_meeting_date, su.page_url, su.source_id
FROM summaries su JOIN sources s USING (source_id)
ORDER BY su.meeting_date NULLS LAST, su.summary_id
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    """JSON/CSV-ready value: ISO dates, HH:MM times, lists kept as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row fit to publish: plain values, personal contact details removed from prose."""
    clean = {k: _plain(v) for k, v in row.items()}
    for column in FREE_TEXT_COLUMNS:
        if isinstance(clean.get(column), str):
            clean[column] = redact_personal_contacts(clean[column])
    if isinstance(clean.get("items"), str):
        clean["items"] = json.loads(clean["items"])
    return clean


def safe_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v.get("title", v)) if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def render_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """UTF-8 with BOM (so Excel shows å, ä, ö), one header row, formula-safe cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_json(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    records = [{c: row.get(c) for c in columns} for row in rows]
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _cell(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _when(row: dict[str, Any]) -> str:
    day = row.get("date") or (f"--{row['month_day']}" if row.get("month_day") else "")
    clock = row.get("start") or ""
    if clock and row.get("end"):
        clock = f"{clock}–{row['end']}"
    return f"{day} {clock}".strip()


STATUS_SV = {"scheduled": "Planerat", "cancelled": "Inställt", "postponed": "Uppskjutet"}
ATTENDANCE_SV = {"in_person": "På plats", "online": "Digitalt", "hybrid": "På plats och digitalt"}


def render_index(
    meetings: Sequence[dict[str, Any]],
    summaries: Sequence[dict[str, Any]],
    today: date,
    files: dict[str, int],
    generated: str,
) -> bytes:
    """The catalogue's web page: upcoming meetings first, then past ones, summaries and downloads."""
    vocab = default_vocabulary()

    def topics(row: dict[str, Any]) -> str:
        return ", ".join(vocab.topic_label(t) for t in row.get("topics") or [])

    def meeting_rows(rows: Sequence[dict[str, Any]]) -> str:
        return (
            "\n".join(
                "<tr>"
                f"<td>{_cell(_when(r))}</td><td>{_cell(r['municipality'])}</td>"
                f'<td><a href="{_cell(r["page_url"])}">{_cell(r["title"])}</a>'
                f"{'<br><small>' + _cell(r['theme']) + '</small>' if r.get('theme') else ''}</td>"
                f"<td>{_cell(r.get('place'))}{'<br><small>' + _cell(r['address']) + '</small>' if r.get('address') else ''}</td>"
                f"<td>{_cell(ATTENDANCE_SV.get(r.get('attendance') or '', ''))}</td>"
                f"<td>{_cell(STATUS_SV.get(r['status'], r['status']))}</td><td>{_cell(topics(r))}</td>"
                "</tr>"
                for r in rows
            )
            or '<tr><td colspan="7">Inga möten / No meetings</td></tr>'
        )

    upcoming = [m for m in meetings if m.get("date") and m["date"] >= today.isoformat()]
    past = [m for m in meetings if m not in upcoming]
    summary_rows = (
        "\n".join(
            "<tr>"
            f"<td>{_cell(s.get('date'))}</td><td>{_cell(s['municipality'])}</td>"
            f'<td><a href="{_cell(s["page_url"])}">{_cell(s.get("body"))}</a></td>'
            f"<td>{_cell(s.get('item_count'))}</td><td>{_cell(s.get('confidential_item_count'))}</td>"
            f"<td>{_cell('; '.join(i['title'] for i in s.get('items') or []))}</td>"
            "</tr>"
            for s in summaries
        )
        or '<tr><td colspan="6">Inga sammanfattningar / No summaries</td></tr>'
    )
    downloads = "\n".join(
        f'<li><a href="{_cell(name)}">{_cell(name)}</a> ({size:,} byte)</li>'
        for name, size in sorted(files.items())
    )
    head = (
        '<tr><th scope="col">Datum och tid <span lang="en">(date, time)</span></th>'
        '<th scope="col">Kommun <span lang="en">(municipality)</span></th>'
        '<th scope="col">Möte <span lang="en">(meeting)</span></th>'
        '<th scope="col">Plats <span lang="en">(place)</span></th>'
        '<th scope="col">Deltagande <span lang="en">(attendance)</span></th>'
        '<th scope="col">Status</th><th scope="col">Ämnen <span lang="en">(topics)</span></th></tr>'
    )
    page = f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kommundialog – medborgardialoger och nämndsammanfattningar</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1a1a1a; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2rem; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .4rem; text-align: left; vertical-align: top; }}
th {{ background: #eef2f5; }}
a {{ color: #0b4f8a; }}
small {{ color: #444; }}
</style>
</head>
<body>
<header>
<h1>Kommundialog</h1>
<p>Medborgardialoger, dialogmöten och sammanfattningar av nämndmöten inom socialtjänsten, insamlade från kommunernas webbplatser.
<span lang="en">Citizen dialogues and committee meeting summaries collected from Swedish municipal web sites.</span></p>
<p>Senast uppdaterad <span lang="en">(last updated)</span>: <time datetime="{_cell(generated)}">{_cell(generated)}</time></p>
</header>
<main>
<h2>Kommande möten <span lang="en">(upcoming meetings)</span></h2>
<table>{head}
{meeting_rows(upcoming)}
</table>
<h2>Tidigare möten <span lang="en">(past meetings)</span></h2>
<table>{head}
{meeting_rows(past)}
</table>
<h2>Sammanfattningar av sammanträden <span lang="en">(meeting summaries)</span></h2>
<table><tr><th scope="col">Datum</th><th scope="col">Kommun</th><th scope="col">Organ <span lang="en">(body)</span></th>
<th scope="col">Ärenden <span lang="en">(items)</span></th><th scope="col">Varav sekretess <span lang="en">(confidential)</span></th>
<th scope="col">Informationspunkter <span lang="en">(information items)</span></th></tr>
{summary_rows}
</table>
<h2>Ladda ner <span lang="en">(downloads)</span></h2>
<ul>
{downloads}
</ul>
</main>
<footer><p>Data: CC0 1.0. Personnamn, direkta telefonnummer och personliga e-postadresser publiceras inte.
<span lang="en">No personal names, direct phone numbers or personal e-mail addresses are published.</span></p></footer>
</body>
</html>
"""
    return page.encode("utf-8")


def _write_atomically(out_dir: Path, files: dict[str, bytes]) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        for name in files:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish_catalogue(
    con: duckdb.DuckDBPyConnection, out_dir: str | Path, today: date, generated: datetime
) -> dict[str, int]:
    """Write the catalogue files from the warehouse; return their names and sizes."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meetings = [public_row(r) for r in _rows(con, MEETINGS_SQL)]
    summaries = [public_row(r) for r in _rows(con, SUMMARIES_SQL)]
    files = {
        "meetings.csv": render_csv(meetings, MEETING_COLUMNS),
        "meetings.json": render_json(meetings, MEETING_COLUMNS),
        "summaries.csv": render_csv(summaries, SUMMARY_COLUMNS),
        "summaries.json": render_json(summaries, SUMMARY_COLUMNS),
    }
    sizes = {name: len(content) for name, content in files.items()}
    files["index.html"] = render_index(
        meetings, summaries, today, sizes, generated.isoformat(timespec="seconds")
    )
    _write_atomically(out, files)
    return {name: len(content) for name, content in files.items()}
