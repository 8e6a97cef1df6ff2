"""Each seed page, field by field, as the seeds README states (one test per field)."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from tasks.charset import decode_text
from tasks.extract.page import extract_page
from tasks.records import PageContext, PageExtraction
from tasks.registry import load_registry, source_for_url
from tests.conftest import PROJECT_ROOT, seed_path, seed_url


def extract_seed(seed: str) -> PageExtraction:
    url = seed_url(seed)
    source = source_for_url(load_registry(PROJECT_ROOT / "config" / "sources.yaml"), url)
    assert source is not None, f"no production source covers {url}"
    context = PageContext(url=url, municipality=source.municipality, profile=source.profile)
    return extract_page(decode_text(seed_path(seed).read_bytes()), context)


@pytest.fixture(scope="module")
def nordmaling() -> PageExtraction:
    return extract_seed("000")


@pytest.fixture(scope="module")
def ovanaker() -> PageExtraction:
    return extract_seed("001")


@pytest.fixture(scope="module")
def norrkoping() -> PageExtraction:
    return extract_seed("002")


@pytest.fixture(scope="module")
def gemensam() -> PageExtraction:
    return extract_seed("003")


@pytest.fixture(scope="module")
def korthet() -> PageExtraction:
    return extract_seed("004")


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_seed_extracts_without_warnings(seed: str) -> None:
    assert extract_seed(seed).warnings == ()


# --- 000 Nordmaling: one dialogue meeting -------------------------------------------------


def test_nordmaling_kind_and_publication(nordmaling: PageExtraction) -> None:
    assert nordmaling.kind == "meeting"
    assert nordmaling.title == "Inbjudan till dialogmöte med socialtjänsten"
    assert nordmaling.published == date(2024, 5, 9)


def test_nordmaling_two_mentions_make_one_meeting(nordmaling: PageExtraction) -> None:
    assert len(nordmaling.meetings) == 1


def test_nordmaling_date_and_times(nordmaling: PageExtraction) -> None:
    meeting = nordmaling.meetings[0]
    assert meeting.date == date(2024, 5, 28)
    assert (meeting.start, meeting.end) == (time(17, 30), time(20, 0))


def test_nordmaling_place_and_attendance(nordmaling: PageExtraction) -> None:
    meeting = nordmaling.meetings[0]
    assert meeting.place == "Oasen"
    assert meeting.attendance == "in_person"
    assert meeting.status == "scheduled"


def test_nordmaling_organiser_contact_and_topics(nordmaling: PageExtraction) -> None:
    assert nordmaling.meetings[0].organiser == "Socialtjänsten"
    assert nordmaling.contact_mailbox == "ifo@nordmaling.se"
    assert set(nordmaling.meetings[0].topics) == {
        "violence_close_relationships",
        "school_absence",
        "social_support",
    }


# --- 001 Ovanåker: an open invitation, no date ------------------------------------------------


def test_ovanaker_is_an_invitation_without_meetings(ovanaker: PageExtraction) -> None:
    assert ovanaker.kind == "invitation"
    assert ovanaker.meetings == ()


def test_ovanaker_registration_channels(ovanaker: PageExtraction) -> None:
    assert ovanaker.registration is not None
    assert set(ovanaker.registration.channels) == {"e_service", "phone", "sms", "email"}
    assert ovanaker.registration.mailbox == "socialtjansten@ovanaker.se"


def test_ovanaker_knows_earlier_dialogues_were_cancelled(ovanaker: PageExtraction) -> None:
    assert ovanaker.mentions_cancelled_undated is True


def test_ovanaker_topics(ovanaker: PageExtraction) -> None:
    assert set(ovanaker.topics) == {"addiction", "mental_health", "children_young_people"}


def test_ovanaker_mobile_number_is_personal(ovanaker: PageExtraction) -> None:
    phones = {c.value: c.functional for c in ovanaker.contacts if c.kind == "phone"}
    assert phones["070-273 10 11"] is False


# --- 002 Norrköping: a policy document --------------------------------------------------------


def test_norrkoping_policy_document_yields_no_meeting(norrkoping: PageExtraction) -> None:
    assert norrkoping.kind == "other"
    assert norrkoping.meetings == ()
    assert norrkoping.summary is None


# --- 003 Helsingborg: four autumn dates of a development group ---------------------------------


def test_gemensam_four_dates_in_autumn_2024(gemensam: PageExtraction) -> None:
    assert gemensam.kind == "meeting"
    assert [m.date for m in gemensam.meetings] == [
        date(2024, 9, 16),
        date(2024, 10, 21),
        date(2024, 11, 18),
        date(2024, 12, 16),
    ]
    assert {m.year_basis for m in gemensam.meetings} == {"heading"}


def test_gemensam_no_clock_time(gemensam: PageExtraction) -> None:
    assert all(m.start is None and m.end is None for m in gemensam.meetings)


def test_gemensam_place_address_and_hybrid(gemensam: PageExtraction) -> None:
    for meeting in gemensam.meetings:
        assert meeting.place == "Fontänhuset"
        assert meeting.address == "Norra Strandgatan 8, våning 3, Helsingborg"
        assert meeting.attendance == "hybrid"
        assert meeting.status == "scheduled"


def test_gemensam_theme_and_speakers_per_date(gemensam: PageExtraction) -> None:
    themes = [m.theme for m in gemensam.meetings]
    assert themes == [
        "om samverkan för förebyggande sociala insatser",
        "om privatekonomi",
        "om privatekonomi, del 2",
        "om vuxenstudier",
    ]
    assert gemensam.meetings[0].speakers == "Mikael Bogarve, verksamhetschef socialförvaltningen"
    assert "Pradeep Holmqvist" in (gemensam.meetings[1].speakers or "")
    assert gemensam.meetings[3].speakers is None


def test_gemensam_personal_mailbox_is_not_the_contact(gemensam: PageExtraction) -> None:
    assert gemensam.contact_mailbox is None
    emails = {c.value: c.functional for c in gemensam.contacts if c.kind == "email"}
    assert emails == {"david.bergstrom@helsingborg.se": False}


# --- 004 Helsingborg: a committee summary ----------------------------------------------------


def test_korthet_is_a_summary_of_21_june_2017(korthet: PageExtraction) -> None:
    assert korthet.kind == "summary"
    assert korthet.summary is not None
    assert korthet.summary.body == "Socialnämnden"
    assert korthet.summary.date == date(2017, 6, 21)


def test_korthet_start_and_end(korthet: PageExtraction) -> None:
    assert (korthet.summary.start, korthet.summary.end) == (time(17, 0), time(20, 50))


def test_korthet_item_counts(korthet: PageExtraction) -> None:
    assert korthet.summary.item_count == 25
    assert korthet.summary.confidential_item_count == 17


def test_korthet_three_information_items(korthet: PageExtraction) -> None:
    titles = [item.title for item in korthet.summary.items]
    assert titles == [
        "Information om våra tidiga insatser",
        "Information om romsk inkludering",
        "Information om mål och ekonomi 2017",
    ]
    assert not any(item.confidential for item in korthet.summary.items)


def test_korthet_names_next_meeting_on_floor_4(korthet: PageExtraction) -> None:
    assert korthet.summary.next_meeting_date == date(2017, 8, 31)
    (meeting,) = korthet.meetings
    assert meeting.date == date(2017, 8, 31)
    assert meeting.start is None
    assert meeting.place == "Nya sammanträdesrummet, plan 4"


def test_korthet_next_meeting_is_a_committee_meeting_without_the_summary_topics(
    korthet: PageExtraction,
) -> None:
    (meeting,) = korthet.meetings
    assert (meeting.activity, meeting.topics) == ("committee", ())


def test_korthet_year_follows_from_text_without_metadata() -> None:
    """Stripped of its publication date and dated URL, the page text still says 2017."""
    html = seed_path("004").read_text(encoding="utf-8")
    html = re.sub(r"<meta[^>]*(pubdate|moddate|_time)[^>]*>", "", html)
    html = re.sub(r"<(span|p) class=\"(posted-on|c-article__timestamp)\">.*?</\1>", "", html)
    assert "2017-06-22" not in html and "22 juni 2017" not in html
    context = PageContext(url="https://oppnasoc.helsingborg.se/socialnamnden-i-korthet/", profile="wordpress")
    extraction = extract_page(html, context)
    assert extraction.summary.date == date(2017, 6, 21)
    assert extraction.summary.year_basis == "page_text"
