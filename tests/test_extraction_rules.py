"""Extraction rules on small pages written for the test: traps, status, attendance, robustness."""

from __future__ import annotations

from datetime import date, time

import pytest

from tasks.extract.fields import (
    find_contacts,
    is_functional_mailbox,
    is_switchboard,
    parse_place_value,
    redact_personal_contacts,
)
from tasks.extract.page import extract_page, meeting_id
from tasks.extract.vocabulary import default_vocabulary
from tasks.records import PageContext

VOCAB = default_vocabulary()


def page(body: str, title: str = "Dialogmöte om äldreomsorgen", head: str = "") -> str:
    return (
        f"<html lang='sv'><head><title>{title} - Exempelby kommun</title>{head}</head>"
        f"<body><nav><a href='/'>Start</a> Möte 1 januari</nav><main><h1>{title}</h1>{body}</main>"
        "<footer>Växel 0123-450 00</footer></body></html>"
    )


def extract(html: str, url: str = "https://www.exempelby.se/dialog.html", **kw) -> object:
    return extract_page(html, PageContext(url=url, **kw))


def test_publication_line_is_not_a_meeting() -> None:
    html = page(
        "<p>Publicerad 3 mars 2025</p><p>Välkommen på dialogmöte torsdag 20 mars kl. 18-20 i Folkets hus.</p>"
    )
    result = extract(html)
    assert result.published == date(2025, 3, 3)
    assert [m.date for m in result.meetings] == [date(2025, 3, 20)]


def test_past_decision_is_not_a_meeting() -> None:
    html = page(
        "<p>Den 5 december 2022 beslutade kommunfullmäktige om en ny äldreplan.</p>"
        "<p>Dialogmöte onsdag 4 mars 2026 kl. 13-15 i Stadshuset.</p>"
    )
    assert [m.date for m in extract(html).meetings] == [date(2026, 3, 4)]


def test_fully_booked_is_not_cancelled() -> None:
    html = page("<ul><li>12 maj 2026 kl. 18 – FULLT!</li><li>19 maj 2026 kl. 18 (preliminärt)</li></ul>")
    assert [m.status for m in extract(html).meetings] == ["scheduled", "scheduled"]


def test_one_date_of_a_list_is_cancelled() -> None:
    html = page(
        "<h2>Mötesdatum 2026</h2><ul><li>5 februari</li><li>9 april – inställt</li>"
        "<li>3 september – mötet flyttas</li></ul><p>Mötena hålls kl. 15.00 – 17.00.</p>"
    )
    meetings = extract(html).meetings
    assert [(m.date, m.status) for m in meetings] == [
        (date(2026, 2, 5), "scheduled"),
        (date(2026, 4, 9), "cancelled"),
        (date(2026, 9, 3), "postponed"),
    ]
    assert {(m.start, m.end) for m in meetings} == {(time(15, 0), time(17, 0))}


def test_cancelled_title_cancels_the_meeting() -> None:
    html = page("<p>Tisdag 28 maj 2024 kl 17.30.</p>", title="INSTÄLLT: Dialogmöte i Oasen")
    assert extract(html).meetings[0].status == "cancelled"


def test_teams_only_is_online() -> None:
    html = page("<p>Dialogmöte måndag 9 februari 2026 klockan 8.30-10. Mötet hålls via Teams.</p>")
    assert extract(html).meetings[0].attendance == "online"


def test_digital_exclusion_is_not_online_attendance() -> None:
    html = page(
        "<p>Dialogmöte 9 februari 2026 kl 18. Vi pratar om digitalt utanförskap.</p><p>Plats: Biblioteket</p>"
    )
    meeting = extract(html).meetings[0]
    assert (meeting.place, meeting.attendance) == ("Biblioteket", "in_person")


def test_time_label_on_the_next_line() -> None:
    html = page("<p>Datum: 07 mars 2024</p><p>Tid: 14.00-16.30</p><p>Lokal: Sessionssalen</p>")
    meeting = extract(html).meetings[0]
    assert (meeting.date, meeting.start, meeting.end, meeting.place) == (
        date(2024, 3, 7),
        time(14, 0),
        time(16, 30),
        "Sessionssalen",
    )


def test_plain_news_with_an_event_yields_no_meeting() -> None:
    html = page(
        "<p>Öppet hus på återvinningscentralen lördag 8 juni 2024 kl 10–14.</p>",
        title="Välkommen på öppet hus på återvinningscentralen",
    )
    result = extract(html)
    assert (result.kind, result.meetings) == ("other", ())


def test_listing_page_yields_no_meetings() -> None:
    cards = "".join(
        f"<article><h2><a href='/n{i}.html'>Dialogmöte {i}</a></h2><time datetime='2026-05-0{i}'>{i} maj 2026</time>"
        f"<p>Välkommen på dialogmöte tisdag {i} maj kl 18 om hemtjänsten i kommunen.</p></article>"
        for i in range(1, 5)
    )
    result = extract(page(cards, title="Nyheter"))
    assert (result.kind, result.meetings) == ("other", ())


def test_date_without_any_year_evidence_keeps_month_day() -> None:
    html = page("<p>Dialogmöte 16 september kl 18.</p>")
    meeting = extract(html, url="https://www.exempelby.se/dialog.html").meetings[0]
    assert (meeting.date, meeting.month_day, meeting.year_basis) == (None, "09-16", None)


def test_fetch_date_is_the_last_resort_for_the_year() -> None:
    html = page("<p>Dialogmöte 16 september kl 18.</p>")
    meeting = extract(html, fetched_at=date(2026, 8, 1)).meetings[0]
    assert (meeting.date, meeting.year_basis) == (date(2026, 9, 16), "fetched")


def test_meeting_id_is_stable_and_has_no_title() -> None:
    first = meeting_id("https://www.exempelby.se/dialog.html", date(2026, 9, 16), None)
    assert first == meeting_id("https://WWW.exempelby.se/dialog.html/", date(2026, 9, 16), None)
    assert "dialog" not in first.removeprefix("m-")
    assert first != meeting_id("https://www.exempelby.se/dialog.html", date(2026, 9, 17), None)


@pytest.mark.parametrize(
    "origin",
    [
        "https://www.exempelby.se",
        "http://exempelby.se",
        "https://exempelby.se:8443",
        "http://www.exempelby.se:80",
    ],
)
def test_meeting_id_ignores_scheme_www_and_port(origin: str) -> None:
    day = date(2026, 9, 16)
    expected = meeting_id("https://www.exempelby.se/socialtjanst/dialog.html", day, None)
    assert meeting_id(f"{origin}/socialtjanst/dialog.html", day, None) == expected


def test_meeting_id_follows_the_source_not_the_host() -> None:
    day = date(2026, 9, 16)
    production = meeting_id("https://www.exempelby.se/dialog.html", day, None, "exempelby-dialog")
    assert production == meeting_id("http://127.0.0.1:40123/dialog.html", day, None, "exempelby-dialog")
    assert production != meeting_id("https://www.exempelby.se/dialog.html", day, None, "exempelby-namnd")
    assert production != meeting_id("https://www.exempelby.se/annan.html", day, None, "exempelby-dialog")


def test_extracted_meetings_carry_the_source_in_their_id() -> None:
    html = page("<p>Dialogmöte tisdag 16 september 2026 kl 18.</p>")
    here = extract(html, url="https://www.exempelby.se/dialog.html", source_id="exempelby-dialog").meetings
    there = extract(html, url="http://127.0.0.1:8799/dialog.html", source_id="exempelby-dialog").meetings
    assert [m.id for m in here] == [m.id for m in there] != []


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html>",
        "\x00\x01\x02\xff" * 1000,
        "<div>" * 5000 + "Dialogmöte 5 maj 2026" + "</div>" * 5000,
        "<html><body><h1>Dialog</h1>" + "<p>Dialogmöte 5 maj 2026 kl 18.</p>" * 200_000,
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100,
    ],
    ids=["empty", "truncated", "binary-text", "deeply-nested", "ten-megabytes", "binary-bytes"],
)
def test_extractor_never_raises(html: str | bytes) -> None:
    result = extract(html)
    assert result.kind in ("meeting", "summary", "invitation", "other")


def test_place_value_sentence_with_street_and_owner() -> None:
    value = "Gruppen träffas i Fontänhuset Helsingborgs lokaler på Norra Strandgatan 8, våning 3."
    assert parse_place_value(value, VOCAB, "Helsingborg") == (
        "Fontänhuset",
        "Norra Strandgatan 8, våning 3, Helsingborg",
    )


def test_place_value_with_postcode_town() -> None:
    assert parse_place_value("Storgatan 12, 914 81 Nordmaling", VOCAB, None)[1] == "Storgatan 12, Nordmaling"


def test_contact_classification() -> None:
    assert is_functional_mailbox("ifo@nordmaling.se")
    assert not is_functional_mailbox("david.bergstrom@helsingborg.se")
    assert is_switchboard("0930-140 00")
    assert not is_switchboard("070-273 10 11")
    assert not is_switchboard("042-10 42 62")
    kinds = [(c.kind, c.functional) for c in find_contacts("Ring 042-10 50 00 eller mejla ifo@x.se")]
    assert kinds == [("email", True), ("phone", True)]


def test_redaction_keeps_mailboxes_and_switchboards() -> None:
    text = "Kontakt: anna.svensson@kommun.se, 070-123 45 67, ifo@kommun.se, växel 0930-140 00"
    redacted = redact_personal_contacts(text)
    assert "anna.svensson" not in redacted and "070-123 45 67" not in redacted
    assert "ifo@kommun.se" in redacted and "0930-140 00" in redacted


def test_jsonld_event_gives_times_place_and_status() -> None:
    jsonld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": "Event",'
        '"name": "Dialogmöte om hemtjänsten", "startDate": "2026-03-04T13:00:00+01:00",'
        '"endDate": "2026-03-04T15:00:00+01:00", "eventStatus": "https://schema.org/EventCancelled",'
        '"eventAttendanceMode": "https://schema.org/MixedEventAttendanceMode",'
        '"location": {"@type": "Place", "name": "Stadshuset", "address": {"@type": "PostalAddress",'
        '"streetAddress": "Storgatan 1", "addressLocality": "Exempelby"}}}]}</script>'
    )
    html = page("<p>Välkommen på dialogmöte om hemtjänsten.</p>", head=jsonld)
    (meeting,) = extract(html).meetings
    assert (meeting.date, meeting.start, meeting.end) == (date(2026, 3, 4), time(13, 0), time(15, 0))
    assert (meeting.place, meeting.address) == ("Stadshuset", "Storgatan 1, Exempelby")
    assert (meeting.status, meeting.attendance, meeting.year_basis) == (
        "cancelled",
        "hybrid",
        "structured_data",
    )


def test_microdata_event_is_read() -> None:
    body = (
        '<div itemscope itemtype="https://schema.org/Event"><h2 itemprop="name">Brukarråd</h2>'
        '<time itemprop="startDate" datetime="2026-05-12T18:00">12 maj kl 18</time>'
        '<span itemprop="location" itemscope itemtype="https://schema.org/Place">'
        '<span itemprop="name">Biblioteket</span></span></div>'
    )
    (meeting,) = extract(page(body, title="Brukarråd för äldreomsorgen")).meetings
    assert (meeting.date, meeting.start, meeting.place) == (date(2026, 5, 12), time(18, 0), "Biblioteket")


def test_broken_jsonld_is_ignored() -> None:
    html = page(
        "<p>Dialogmöte 5 maj 2026 kl 18.</p>", head='<script type="application/ld+json">{"@type": </script>'
    )
    assert [m.date for m in extract(html).meetings] == [date(2026, 5, 5)]


def test_date_in_heading_takes_time_and_place_from_lines_below() -> None:
    body = (
        "<h2>Tisdag 10 mars 2026</h2><p>Kl 18.00–20.00</p><p>Plats: Biblioteket, Storgatan 3</p>"
        "<h2>Onsdag 8 april 2026</h2><p>Klockan 13–15</p><p>Lokal: Folkets hus</p>"
    )
    meetings = extract(page(body)).meetings
    assert [(m.date, m.start, m.end, m.place) for m in meetings] == [
        (date(2026, 3, 10), time(18, 0), time(20, 0), "Biblioteket"),
        (date(2026, 4, 8), time(13, 0), time(15, 0), "Folkets hus"),
    ]
    assert meetings[0].address == "Storgatan 3"


def test_invitation_with_sign_up_deadline() -> None:
    body = (
        "<p>Vi vill träffa dig som har erfarenhet av hemtjänsten för en medborgardialog.</p>"
        "<h2>Anmäl dig</h2><p>Anmäl dig senast 3 mars via e-tjänsten eller e-post till aldreomsorg@exempelby.se.</p>"
    )
    result = extract(page(body, title="Var med i en dialog om hemtjänsten"), fetched_at=date(2026, 2, 1))
    assert result.kind == "invitation"
    assert result.registration.deadline == date(2026, 3, 3)
    assert result.registration.mailbox == "aldreomsorg@exempelby.se"
    assert set(result.registration.channels) == {"e_service", "email"}


def test_moved_meeting_keeps_old_date_postponed_and_new_date_scheduled() -> None:
    html = page("<p>Dialogmötet den 5 maj 2026 flyttas till tisdag 12 maj 2026 kl 18.</p>")
    assert [(m.date, m.status) for m in extract(html).meetings] == [
        (date(2026, 5, 5), "postponed"),
        (date(2026, 5, 12), "scheduled"),
    ]


def test_time_after_a_list_of_dates_holds_for_all() -> None:
    html = page("<h2>Mötesdatum 2026</h2><p>Rådet träffas 5/2, 9/4, 3/9 och 5/11 kl. 15-17.</p>")
    meetings = extract(html).meetings
    assert [m.date.month for m in meetings] == [2, 4, 9, 11]
    assert {(m.start, m.end) for m in meetings} == {(time(15, 0), time(17, 0))}


def test_online_place_label_means_online_without_a_place() -> None:
    html = page("<p>Dialogmöte 9 februari 2026 kl 18.</p><p>Plats: Digitalt via Teams</p>")
    meeting = extract(html).meetings[0]
    assert (meeting.place, meeting.attendance) == (None, "online")


def test_cancellation_on_its_own_line_cancels_the_single_meeting() -> None:
    html = page("<p>Dialogmöte torsdag 12 mars 2026 kl 18 i Stadshuset.</p><p>OBS! Mötet är inställt.</p>")
    assert extract(html).meetings[0].status == "cancelled"


def test_summary_with_date_in_text_and_confidential_count_without_the_word_arenden() -> None:
    body = (
        "<p>Socialnämnden sammanträdde den 14 mars 2025.</p><h2>Beslut om riktlinjer för hemtjänst</h2>"
        "<p>Nämnden behandlade 22 ärenden, 9 omfattades av sekretess.</p>"
        "<p>Sammanträdet började klockan 17:00 och avslutades 19.45.</p>"
    )
    result = extract(page(body, title="Det här beslutade socialnämnden"))
    summary = result.summary
    assert result.kind == "summary"
    assert (summary.body, summary.date) == ("Socialnämnden", date(2025, 3, 14))
    assert (summary.item_count, summary.confidential_item_count) == (22, 9)
    assert (summary.start, summary.end) == (time(17, 0), time(19, 45))
    assert [i.title for i in summary.items] == ["Beslut om riktlinjer för hemtjänst"]


def test_table_rows_read_with_their_header() -> None:
    body = (
        "<h2>Möten 2025</h2><table><tr><th>Datum</th><th>Tid</th><th>Plats</th><th>Anmärkning</th></tr>"
        "<tr><td>14/2</td><td>13.00–15.00</td><td>Lövsalen</td><td></td></tr>"
        "<tr><td>12/6</td><td>13.00–15.00</td><td>Aulan</td><td>Inställt</td></tr></table>"
        "<p>Mötet i juni ställs in på grund av budgetarbetet.</p>"
    )
    meetings = extract(page(body, title="Kommunala pensionärsrådet")).meetings
    assert [(m.date, m.start, m.place, m.status) for m in meetings] == [
        (date(2025, 2, 14), time(13, 0), "Lövsalen", "scheduled"),
        (date(2025, 6, 12), time(13, 0), "Aulan", "cancelled"),
    ]


def test_place_from_a_sentence_about_where_meetings_are_held() -> None:
    body = (
        "<p>Rådet sammanträder 19/2 och 16/4 2025.</p>"
        "<p>Mötena hålls kl. 13.00-15.30 i Stadshuset, sammanträdesrum Fyris, Stationsgatan 12, 753 75 Uppsala.</p>"
    )
    meetings = extract(page(body, title="Kommunala pensionärsrådet")).meetings
    assert {(m.place, m.address, m.start) for m in meetings} == {
        ("Stadshuset, sammanträdesrum Fyris", "Stationsgatan 12, Uppsala", time(13, 0))
    }


def test_room_on_venue_reads_venue_first() -> None:
    html = page(
        "<p>Dialogmöte 22 maj 2024 kl 18.</p><p>Vi träffas i lilla salen på Folkets hus, Storgatan 5, Ljusdal.</p>"
    )
    meeting = extract(html).meetings[0]
    assert (meeting.place, meeting.address) == ("Folkets hus, lilla salen", "Storgatan 5, Ljusdal")


def test_moved_date_keeps_same_time() -> None:
    html = page(
        "<ul><li>måndagen den 13 april 2026 klockan 8.30-10 – mötet flyttas till onsdagen den 15 april, samma tid</li></ul>"
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.end, m.status) for m in meetings] == [
        (date(2026, 4, 13), time(8, 30), time(10, 0), "postponed"),
        (date(2026, 4, 15), time(8, 30), time(10, 0), "scheduled"),
    ]


def test_weekday_of_one_mention_fixes_the_year_of_the_others() -> None:
    body = "<p>Artikeln publicerades 3 maj 2023</p><p>Tisdag 28 maj kl 17.30 - 20.00</p><p>När? 28 maj, 17.30–20.00.</p>"
    meetings = extract(page(body), url="https://www.exempelby.se/nyheter/2023/dialog.html").meetings
    assert [(m.date, m.year_basis) for m in meetings] == [(date(2024, 5, 28), "weekday")]


def test_update_stamp_is_not_a_meeting_but_its_news_counts() -> None:
    body = "<p>Uppdatering 27 maj: Mötet är inställt på grund av sjukdom.</p><p>Brukarrådet träffas 28.5.2024 kl. 17.30-20.</p>"
    meetings = extract(page(body, title="Brukarrådet träffas")).meetings
    assert [(m.date, m.status) for m in meetings] == [(date(2024, 5, 28), "cancelled")]


def test_negated_web_streaming_is_not_online() -> None:
    html = page(
        "<p>Dialogmöte 14 november 2024 kl 18–20.</p><p>Plats: Rådhuset</p><p>Dialogen webbsänds inte.</p>"
    )
    assert extract(html).meetings[0].attendance == "in_person"


def test_dialogue_named_only_in_the_lead_is_still_a_dialogue_page() -> None:
    body = (
        "<p>Socialnämnden vill föra en medborgardialog om äldreomsorgen.</p>"
        "<h2>Så anmäler du dig</h2><p>Anmäl intresse via e-tjänsten eller e-post till socialtjansten@exempelby.se.</p>"
    )
    assert extract(page(body, title="Var med och forma framtidens äldreomsorg")).kind == "invitation"


def test_generic_page_without_semantic_markup_reads_its_densest_text() -> None:
    menu = (
        "<div class='menu'><ul>"
        + "".join(f"<li><a href='/{i}'>Våld i nära relationer {i}</a></li>" for i in range(40))
        + "</ul></div>"
    )
    article = (
        "<div class='page'><h1>Dialogmöte om hemtjänsten</h1>"
        "<p>Välkommen på dialogmöte om hemtjänsten torsdag 7 mars 2024 kl 14.00–16.30 i Folkets hus.</p>"
        "<p>Vi vill höra vad som fungerar bra och vad som kan bli bättre när det gäller hemtjänsten.</p></div>"
    )
    html = f"<html><head><title>Dialog</title></head><body>{menu}{article}</body></html>"
    result = extract(html)
    assert [m.date for m in result.meetings] == [date(2024, 3, 7)]
    assert "violence_close_relationships" not in result.topics


def test_officials_names_are_recognised_as_personal_data() -> None:
    body = (
        "<h2>Information om hemlöshet</h2><p>Enhetschef Sofia Lund presenterade kartläggningen.</p>"
        "<p>Anna Lindqvist och Per Åberg redogjorde för budgeten.</p>"
        "<h2>Kontakt</h2><p>Karin Berg, nämndsekreterare</p><p>Monica Holm</p><p>Socialnämndens ordförande</p>"
        "<p>Folkets hus, Storgatan 5</p>"
    )
    result = extract(page(body, title="Socialnämnden 14 mars i korthet"))
    names = [c.value for c in result.contacts if c.kind == "name"]
    assert names == ["Sofia Lund", "Anna Lindqvist", "Per Åberg", "Karin Berg", "Monica Holm"]
    assert not any(c.functional for c in result.contacts if c.kind == "name")


def test_article_with_a_sidebar_of_news_teasers_is_not_a_listing() -> None:
    teasers = "".join(
        f"<li><a href='/n{i}'>Nyhet {i}</a> <time datetime='2025-03-0{i}'>{i} mars 2025</time>"
        f"<p>Kort ingress om en helt annan nyhet från kommunen nummer {i}.</p></li>"
        for i in range(1, 5)
    )
    body = (
        "<p>Välkommen på dialogträff tisdag 17 mars 2026 kl. 18.30-20 om stödet till anhöriga i kommunen. "
        "Vi vill höra dina erfarenheter av hemtjänsten och avlastningen, och vad som kan bli bättre framöver.</p>"
        f"<div class='sidebar-news'><ul>{teasers}</ul></div>"
    )
    assert [m.date for m in extract(page(body, title="Dialogträffar för anhöriga")).meetings] == [
        date(2026, 3, 17)
    ]


def test_document_validity_and_past_event_dates_are_not_meetings() -> None:
    body = (
        "<p>Rådet sammanträder 5/2 2025 kl 13-15 i Stadshuset.</p>"
        "<p>Reglementet fastställdes av kommunfullmäktige den 14 december 2021.</p>"
        "<p>Mandatperioden gäller till och med 31 december 2026.</p><p>Giltig till: 2026-12-31</p>"
        "<ul><li>Protokoll rådet 2024-11-20 (pdf)</li></ul>"
    )
    assert [m.date for m in extract(page(body, title="Kommunala pensionärsrådet")).meetings] == [
        date(2025, 2, 5)
    ]


def test_time_stated_once_under_the_heading_of_a_date_list() -> None:
    body = (
        "<h2>Tre kvällar i Folkets hus</h2><ul><li>tisdagen den 2:a september 2025</li>"
        "<li>torsdagen den 2:a oktober 2025</li></ul><p>Alla kvällar klockan 18.30—20.30.</p>"
    )
    meetings = extract(page(body, title="Medborgardialog om centrum")).meetings
    assert {(m.start, m.end) for m in meetings} == {(time(18, 30), time(20, 30))}


def test_online_words_on_one_dates_line_concern_that_date_only() -> None:
    body = (
        "<table><tr><th>Datum</th><th>Plats</th></tr>"
        "<tr><td>12 februari 2026</td><td>Kommunhuset, sal Bolmen</td></tr>"
        "<tr><td>14 april 2026</td><td>Kommunhuset, sal Bolmen, och via Teams</td></tr></table>"
    )
    meetings = extract(page(body, title="Funktionshinderrådet")).meetings
    assert [(m.place, m.attendance) for m in meetings] == [
        ("Kommunhuset, sal Bolmen", "in_person"),
        ("Kommunhuset, sal Bolmen", "hybrid"),
    ]


def test_online_only_date_in_a_series_keeps_no_room() -> None:
    body = (
        "<p>Datum: 2025-05-13</p><p>Tid: 17.30–19.00</p><p>Lokal: Stadshuset, Rådhussalen</p>"
        "<p>Datum: 2025-05-15</p><p>Tid: 17.30-19.00</p><p>Lokal: Zoom, länk skickas efter anmälan</p>"
    )
    meetings = extract(page(body, title="Dialogkvällar om skolorna")).meetings
    assert [(m.place, m.attendance) for m in meetings] == [
        ("Stadshuset, Rådhussalen", "in_person"),
        (None, "online"),
    ]


def test_summary_span_and_counts_in_words() -> None:
    body = (
        "<p>Socialnämnden sammanträdde den 24 april 2025.</p>"
        "<p>Mötet pågick mellan 08.30 och 12.10. Dagordningen omfattade 21 ärenden, varav nio omfattades av sekretess.</p>"
    )
    summary = extract(page(body, title="Det här beslutade socialnämnden 24 april")).summary
    assert (summary.start, summary.end, summary.item_count, summary.confidential_item_count) == (
        time(8, 30),
        time(12, 10),
        21,
        9,
    )


def test_hex_ids_and_hashes_are_not_phone_numbers() -> None:
    # Regression: a meeting id 'm-3f02345749209ab1' was read as the phone number 0234-57492.
    assert find_contacts("m-3f02345749209ab1 and s-a0931400012ffee0") == ()
    assert [c.value for c in find_contacts("Ring 0234-574 92 i dag")] == ["0234-574 92"]


def test_redaction_covers_international_and_three_digit_numbers_and_named_officials() -> None:
    text = (
        "Ring +46 70 123 45 67 eller 08-508 123 45; mejla anna-svensson@kommun.se. Med enhetschef Sofia Lund."
    )
    redacted = redact_personal_contacts(text)
    for personal in ("70 123 45 67", "508 123 45", "anna-svensson", "Sofia Lund"):
        assert personal not in redacted
    assert "+[" not in redacted and "enhetschef [borttaget]" in redacted
