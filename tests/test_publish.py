"""Catalogue rendering: Excel-friendly, formula-safe CSV and escaped HTML."""

from __future__ import annotations

from datetime import date

from warehouse.publish import MEETING_COLUMNS, public_row, render_csv, render_index, safe_cell


def test_csv_has_bom_and_keeps_swedish_letters() -> None:
    data = render_csv([{"title": "Dialogmöte på Åsgården"}], ("title",))
    assert data.startswith("\ufeff".encode())
    assert "Dialogmöte på Åsgården" in data.decode("utf-8-sig")


def test_formula_cells_are_neutralised() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+46 123") == "'+46 123"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Oasen") == "Oasen"
    assert safe_cell(["addiction", "mental_health"]) == "addiction;mental_health"


def test_public_row_removes_personal_contacts_from_prose() -> None:
    row = public_row(
        {"title": "Dialog – frågor till anna.svensson@kommun.se eller 070-123 45 67", "place": "Oasen"}
    )
    assert "anna.svensson" not in row["title"] and "070-123 45 67" not in row["title"]


def test_index_escapes_scraped_text() -> None:
    meeting = {column: None for column in MEETING_COLUMNS} | {
        "title": "<script>alert(1)</script>",
        "municipality": "Exempelby",
        "page_url": 'https://x.se/"onmouseover="alert(1)',
        "status": "scheduled",
        "date": "2030-01-01",
        "topics": [],
    }
    page = render_index([meeting], [], date(2026, 1, 1), {}, "2026-01-01T00:00:00").decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert '"onmouseover="' not in page
