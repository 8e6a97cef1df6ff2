"""Meetings found by evidence, not by topic (issue 9): pages written for these tests, in our own words.

Each test is one failure class seen on real municipal pages, in general form:
a page without dialogue words in its title that lists meeting dates, label lines
that carry a section's year, places in prose, summaries in other words,
counter-evidence, activity per meeting, and dates that cannot be dates.
"""

from __future__ import annotations

from datetime import date, time

from tasks.extract.page import extract_page
from tasks.records import PageContext, PageExtraction


def text_page(*lines: str) -> str:
    """Plain HTML like a page read as text: the first line as h1, '• ' lines as a list, others as paragraphs."""
    body: list[str] = []
    items: list[str] = []
    for line in lines:
        if line.startswith("• "):
            items.append(f"<li>{line[2:]}</li>")
            continue
        if items:
            body.append("<ul>" + "".join(items) + "</ul>")
            items = []
        body.append(f"<h1>{line}</h1>" if not body else f"<p>{line}</p>")
    if items:
        body.append("<ul>" + "".join(items) + "</ul>")
    return f"<html lang='sv'><head><title>{lines[0]}</title></head><body><main>{''.join(body)}</main></body></html>"


def extract(html: str, url: str = "https://www.ekby.se/politik/namnd.html", **kw: object) -> PageExtraction:
    return extract_page(html, PageContext(url=url, **kw))


def test_label_line_year_reaches_every_bare_date_below_it() -> None:
    html = text_page(
        "Byggnadsnämnden",
        "Nämnden ansvarar för bygglov och tillsyn i kommunen.",
        "Nämndens sammanträden 2027",
        "14 januari",
        "11 februari",
        "",
        "9 september",
        "Sammanträdena börjar klockan 18.00 i Ekby kommunhus, sal Linden.",
    )
    result = extract(html)
    assert result.kind == "meeting"
    assert [m.date for m in result.meetings] == [date(2027, 1, 14), date(2027, 2, 11), date(2027, 9, 9)]
    assert {(m.start, m.place, m.activity) for m in result.meetings} == {
        (time(18, 0), "Ekby kommunhus, sal Linden", "committee")
    }


def test_each_label_line_sets_its_own_body_and_year() -> None:
    html = text_page(
        "Sammanträdesplan",
        "Här finns datum för de politiska organens sammanträden.",
        "Kommunfullmäktige 2026",
        "3-4 mars",
        "Funktionshinderrådet 2027",
        "2 februari",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.activity) for m in meetings] == [
        (date(2026, 3, 3), "committee"),
        (date(2027, 2, 2), "council"),
    ]


def test_list_with_time_under_a_label_line_is_a_meeting_series_whatever_the_title() -> None:
    html = text_page(
        "Välkommen till Ekby kommun",
        "Referensgruppen för tillgänglighet",
        "Datum för öppna träffar under 2026:",
        "• 12 mars kl. 14.00-15.30",
        "• 8 oktober kl. 14.00-15.30",
        "Plats: Ekbygatan 4 (föreningens lokaler, bottenplan)",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.end) for m in meetings] == [
        (date(2026, 3, 12), time(14, 0), time(15, 30)),
        (date(2026, 10, 8), time(14, 0), time(15, 30)),
    ]
    assert all(m.address and m.address.startswith("Ekbygatan 4") for m in meetings)


def test_meeting_noun_in_a_news_sentence_makes_a_meeting_and_its_place_beside_the_date() -> None:
    html = text_page(
        "Nyheter",
        "Publicerad 2026-04-02",
        "Föräldraföreningen bjuder in till ett öppet möte på Ekby bygdegård torsdag 16 april kl 19.",
        "Vårdnadshavare i årskurs 3 bjuds också in till ett samtal måndag 13 april.",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.place, m.activity) for m in meetings] == [
        (date(2026, 4, 16), time(19, 0), "Ekby bygdegård", "dialogue"),
    ]


def test_place_after_the_time_of_a_date() -> None:
    html = text_page(
        "Inbjudan",
        "Publicerad 1 mars 2026",
        "Du är välkommen till samrådsmöte onsdag den 18 mars klockan 18.00-20.00 i Ekbacken, Norrby.",
    )
    (meeting,) = extract(html).meetings
    assert (meeting.date, meeting.start, meeting.end, meeting.place) == (
        date(2026, 3, 18),
        time(18, 0),
        time(20, 0),
        "Ekbacken, Norrby",
    )


def test_cancellation_before_the_date_and_the_receiving_meeting_after_it() -> None:
    html = text_page(
        "Gå till innehållet",
        "2026-03-02",
        "Politiska möten ändras",
        "Ordföranden har beslutat att ställa in nämndens sammanträde den 16 mars 2026. "
        "Ärendena tas i stället upp på nämndens ordinarie sammanträde den 20 april 2026.",
    )
    result = extract(html)
    assert result.published == date(2026, 3, 2)
    assert [(m.date, m.status) for m in result.meetings] == [
        (date(2026, 3, 16), "cancelled"),
        (date(2026, 4, 20), "scheduled"),
    ]


def test_counter_evidence_decisions_validity_documents_and_stamps() -> None:
    html = text_page(
        "Rådet för äldrefrågor",
        "Från och med den 1 januari 2026 har rådet en ny arbetsordning.",
        "Den 12 maj 2025 beslutade fullmäktige att inrätta rådet.",
        "Minnesanteckningar 2025-11-04 (pdf)",
        "2025-09-30PDF",
        "Senast uppdaterad den 3 december 2025",
    )
    result = extract(html)
    assert result.meetings == ()
    assert result.kind == "other"


def test_date_line_at_the_top_is_the_page_stamp_not_a_meeting() -> None:
    html = text_page(
        "2026-01-12",
        "Kommunen bjuder in till byamöten i vår",
        "Varje byamöte börjar klockan 18.30.",
        "16 februari - Norrbyn/Söderbyn/Västerbyn",
        "Plats: Norrbyns skola",
        "23 mars - Åbacka",
        "Plats: Åbacka bystuga",
    )
    result = extract(html)
    assert result.published == date(2026, 1, 12)
    assert [(m.date, m.start, m.place) for m in result.meetings] == [
        (date(2026, 2, 16), time(18, 30), "Norrbyns skola"),
        (date(2026, 3, 23), time(18, 30), "Åbacka bystuga"),
    ]


def test_event_with_time_but_no_meeting_word_is_not_a_meeting() -> None:
    html = text_page("Loppis på torget", "Loppis på Stortorget lördag 6 juni 2026 kl 10-14. Fri entré.")
    assert extract(html).meetings == ()


def test_report_of_a_held_meeting_is_a_summary_with_the_next_one() -> None:
    html = text_page(
        "Hoppa till innehåll",
        "14 april 2026 - Kommun och politik",
        "Årets första ungdomsdialog är genomförd. Elever och politiker samtalade under en lektion.",
        "20 maj är nästa ungdomsdialog.",
    )
    result = extract(html)
    assert result.kind == "summary"
    assert result.summary.date is None
    assert [(m.date, m.activity, m.topics) for m in result.meetings] == [(date(2026, 5, 20), "dialogue", ())]


def test_report_dates_the_meeting_by_the_verb_that_says_it_was_held() -> None:
    html = text_page(
        "Lyckad temakväll om ensamhet",
        "Uppdaterad den 2 december 2026",
        "Temakvällen, som ägde rum 10 november, samlade ett sextiotal deltagare i små samtalsgrupper.",
    )
    result = extract(html)
    assert result.kind == "summary"
    assert result.summary.date == date(2026, 11, 10)
    assert result.meetings == ()


def test_summary_titles_in_other_words() -> None:
    for title in ("Axplock från omsorgsnämnden 12 mars", "Sammanträdesprotokoll Omsorgsnämnden"):
        html = text_page(
            title,
            "Publicerad 20 mars 2026",
            "Plats och tid Ekby kommunhus, tisdagen den 12 mars 2026, klockan 13.00",
        )
        result = extract(html)
        assert (result.kind, result.summary.date) == ("summary", date(2026, 3, 12)), title


def test_protocol_link_dates_a_reported_board_meeting() -> None:
    html = text_page(
        "Ny styrelse",
        "Sammanträdet inleddes med en presentation av förbundets uppdrag och ekonomi.",
        "Styrelsen valde därefter ordförande och vice ordförande.",
        "Styrelseprotokoll 2026-02-11 PDF",
    )
    result = extract(html)
    assert (result.kind, result.summary.date) == ("summary", date(2026, 2, 11))


def test_sessions_on_consecutive_lines_make_one_span() -> None:
    html = text_page(
        "Seniorrådet",
        "Datum för rådets möten 2026",
        "Mötet hålls i Havssalen, kommunhuset och är uppdelat i två delar:",
        "Seniororganisationerna, kl. 13-14:30.",
        "Förvaltningarna, kl. 15-16.",
        "• 5 mars",
        "• 4 juni",
    )
    meetings = extract(html).meetings
    assert {(m.start, m.end, m.place) for m in meetings} == {
        (time(13, 0), time(16, 0), "Havssalen, kommunhuset")
    }
    assert {m.activity for m in meetings} == {"council"}


def test_activity_from_the_pages_own_words() -> None:
    cases = {
        "Medborgardialog om skolan tisdag 5 maj 2026 kl 18.": "dialogue",
        "Informationsmöte om färdtjänst tisdag 5 maj 2026 kl 18.": "information",
        "Pensionärsrådet sammanträder tisdag 5 maj 2026 kl 13.": "council",
        "Kommunfullmäktige har sammanträde tisdag 5 maj 2026 kl 18.": "committee",
        "Träff för alla intresserade tisdag 5 maj 2026 kl 18.": "other",
    }
    for sentence, activity in cases.items():
        (meeting,) = extract(text_page("Aktuellt", sentence)).meetings
        assert meeting.activity == activity, sentence


def test_impossible_days_and_years_are_not_dates_and_are_warned() -> None:
    html = text_page(
        "Dialogmöte",
        "Dialogmöte 28 maj 9999 kl 18 i Stadshuset.",
        "Dialogmöte 31 februari kl 18 i Stadshuset.",
    )
    result = extract(html, fetched_at=date(2026, 5, 1))
    assert result.meetings == ()
    assert any("9999" in w and "1990..2036" in w for w in result.warnings)
    assert any("31 februari" in w and "no such day" in w for w in result.warnings)


def test_closures_document_lines_and_deadlines_are_not_meetings() -> None:
    html = text_page(
        "Sammanträden och handlingar",
        "Nämndens sammanträden 2026",
        "2026-02-10 Protokoll",
        "Kommunhuset hålls stängt för möten fredag 3 april 2026.",
        "Sista dag för ansökan är 15 mars 2026 för den som vill delta i mötet.",
        "Avgifterna ses över den 1 juli 2026 inför nästa års budget.",
        "Mötesplatsen för seniorer öppnar igen den 4 maj 2026.",
        "Protokollet från sammanträdet den 20 januari 2026 finns i diariet.",
    )
    assert extract(html).meetings == ()


def test_group_meeting_with_start_date_and_address() -> None:
    html = text_page(
        "Nystart för anhörigstödet",
        "Cafékvällarna för anhöriga öppnar igen i höst.",
        "Samtalsgruppen ses vid sex tillfällen med start 7 oktober 2026 på Kvarngatan 12, kl 17–19.",
    )
    (meeting,) = extract(html).meetings
    assert (meeting.date, meeting.start, meeting.end) == (date(2026, 10, 7), time(17, 0), time(19, 0))
    assert meeting.address.startswith("Kvarngatan 12")


def test_list_entry_venue_after_a_comma_and_a_moved_meeting() -> None:
    html = text_page(
        "Brukarrådet",
        "Brukarrådets möten 2026",
        "• Tisdag 10 mars, kl. 14–16, Biblioteket Ugglan",
        "• Tisdag 12 maj, kl. 14–16, Storgatan 8",
        "Mötet den 12 maj är flyttat till den 19 maj.",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.status) for m in meetings] == [
        (date(2026, 3, 10), "scheduled"),
        (date(2026, 5, 12), "postponed"),
        (date(2026, 5, 19), "scheduled"),
    ]
    assert meetings[0].place == "Biblioteket Ugglan"
    assert meetings[1].address.startswith("Storgatan 8")


def test_more_summary_titles() -> None:
    for title in ("Kort om kommunstyrelsens sammanträde 4 mars", "Minnesanteckningar Pensionärsrådet 4 mars"):
        html = text_page(title, "Publicerad 10 mars 2026", "Rådet fick information om budgeten.")
        result = extract(html)
        assert (result.kind, result.summary.date) == ("summary", date(2026, 3, 4)), title


def test_news_headlines_ending_in_dates_and_parties_are_not_meetings() -> None:
    html = text_page(
        "Välkommen till Ekby kommun",
        "Nyheter",
        "• Storgatan i Norrby stängs av för ledningsarbete 2026-05-27",
        "• Inbjudan till dialogmöte om äldreomsorgen 2026-05-09",
        "• Nya hämtningsdagar för hushållsavfall 2026-05-02",
        "Sommarläsningen avslutas med en fest som hålls onsdag 19 augusti 2026 kl 14 på Ekby bibliotek.",
    )
    assert extract(html).meetings == ()


def test_table_like_lines_time_to_about_and_a_lowercase_venue() -> None:
    html = text_page(
        "Pensionärsrådet",
        "Pensionärsrådet sammanträder följande datum under 2026:",
        "12 februari 13.30-15.30 Stadshuset, sal Ådalen",
        "Vårens temamöte hålls 9 april kl. 18.00 till ca 20.00 i stadshusets sessionssal.",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.end, m.place) for m in meetings] == [
        (date(2026, 2, 12), time(13, 30), time(15, 30), "Stadshuset, sal Ådalen"),
        (date(2026, 4, 9), time(18, 0), time(20, 0), "stadshusets sessionssal"),
    ]


def test_list_item_sentence_under_a_body_heading_is_prose() -> None:
    html = text_page(
        "Socialnämnden",
        "Nämndens uppdrag 2026",
        "• Ansvaret för färdtjänsten flyttas till nämnden den 1 juli 2026.",
        "• 14 september: sammanträde i Ekby kommunhus",
    )
    assert [m.date for m in extract(html).meetings] == [date(2026, 9, 14)]


def test_paragraph_ending_in_a_lead_in_heads_the_list_below() -> None:
    html = text_page(
        "Anhörigstöd",
        "Anhörigcafé",
        "Vi träffas första tisdagen varje månad klockan 14.00–16.00 på Träffpunkten, Kyrkgatan 2. "
        "Under hösten 2025 träffas vi:",
        "3 september",
        "1 oktober",
        "Kontakt",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.end, m.place) for m in meetings] == [
        (date(2025, 9, 3), time(14, 0), time(16, 0), "Träffpunkten"),
        (date(2025, 10, 1), time(14, 0), time(16, 0), "Träffpunkten"),
    ]


def test_next_meeting_of_a_summary_takes_the_venue_of_its_sentence() -> None:
    html = text_page(
        "Kort om kommunstyrelsens sammanträde 3 mars",
        "Publicerad 5 mars 2025",
        "Kommunstyrelsen sammanträdde den 3 mars.",
        "Nästa sammanträde hålls den 14 april klockan 13.00 i Kommunhuset, sessionssalen.",
    )
    result = extract(html)
    assert result.summary.date == date(2025, 3, 3)
    (meeting,) = result.meetings
    assert (meeting.date, meeting.start, meeting.place, meeting.activity) == (
        date(2025, 4, 14),
        time(13, 0),
        "Kommunhuset, sessionssalen",
        "committee",
    )


def test_open_council_list_takes_the_hall_named_in_prose_and_not_the_question_time() -> None:
    html = text_page(
        "Öppna sammanträden",
        "Fullmäktiges sammanträden är öppna för alla. Du kan sitta på läktaren i Rådssalen, Stadshuset. "
        "Sammanträdena börjar klockan 18.00.",
        "Sammanträdesdagar 2025",
        "• 27 januari",
        "• 28 april (budget)",
        "Allmänhetens frågestund hålls före varje sammanträde klockan 17.30.",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.place) for m in meetings] == [
        (date(2025, 1, 27), time(18, 0), "Rådssalen, Stadshuset"),
        (date(2025, 4, 28), time(18, 0), "Rådssalen, Stadshuset"),
    ]


def test_dialogue_lines_with_their_own_venues_and_a_summary_end_time_in_words() -> None:
    html = text_page(
        "Dialogmöten om fritiden",
        "Under våren 2025 bjuder vi in till två dialogmöten.",
        "Tisdag 8 april kl. 14.00–16.00, Norrby församlingshem",
        "Onsdag 16 april kl. 18.00–20.00, Ekby bibliotek, Storsalen",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.place) for m in meetings] == [
        (date(2025, 4, 8), "Norrby församlingshem"),
        (date(2025, 4, 16), "Ekby bibliotek, Storsalen"),
    ]
    summary = extract(
        text_page(
            "Det här beslutade nämnden 24 februari",
            "Publicerad 26 februari 2025",
            "Mötet började klockan 18.00 och avslutades strax efter 21.30.",
        )
    ).summary
    assert (summary.date, summary.start, summary.end) == (date(2025, 2, 24), time(18, 0), time(21, 30))


def test_declared_event_takes_the_activity_of_its_name() -> None:
    html = (
        "<html lang='sv'><head><title>Kalender</title><script type='application/ld+json'>"
        '{"@type": "Event", "name": "Brukarrådet för LSS", "startDate": "2026-05-12T13:00"}'
        "</script></head><body><main><h1>Kalender</h1><p>Välkommen!</p></main></body></html>"
    )
    (meeting,) = extract(html).meetings
    assert (meeting.date, meeting.activity) == (date(2026, 5, 12), "council")


def test_two_days_two_venues_in_one_sentence() -> None:
    html = text_page(
        "Tyck till om budgeten",
        "Publicerad 20 november 2024",
        "Den 3 december träffas vi i Norrby bygdegård och den 4 december i Ekby stadsbibliotek. "
        "Båda kvällarna börjar klockan 18.00.",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.place) for m in meetings] == [
        (date(2024, 12, 3), time(18, 0), "Norrby bygdegård"),
        (date(2024, 12, 4), time(18, 0), "Ekby stadsbibliotek"),
    ]


def test_start_stated_after_the_list_with_an_abbreviated_kl() -> None:
    html = text_page(
        "Ungdomsrådet",
        "Ungdomsrådets möten våren 2026",
        "Onsdag 21 januari",
        "Onsdag 25 mars – inställt",
        "Mötena börjar kl. 16.00 och hålls i Ungdomens hus, Torggatan 1.",
    )
    meetings = extract(html).meetings
    assert [(m.date, m.start, m.status, m.place) for m in meetings] == [
        (date(2026, 1, 21), time(16, 0), "scheduled", "Ungdomens hus"),
        (date(2026, 3, 25), time(16, 0), "cancelled", "Ungdomens hus"),
    ]
