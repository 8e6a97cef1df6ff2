"""Extract one page: HTML in, a PageExtraction out. Pure: no network, clock or database.

The caller passes what it knows (URL, fetch date, municipality, CMS profile)
in a PageContext; everything else comes from the HTML.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from tasks.extract.dates import (
    LATEST_YEAR,
    YEARS_AHEAD,
    YearEvidence,
    find_dates,
    parse_date_value,
    rejected_dates,
    url_date_hints,
)
from tasks.extract.document import Block, Document, build_document
from tasks.extract.evidence import (
    is_bare_date_line,
    opening_stamp_index,
    sentences,
    teaser_date_lines,
    with_label_headings,
)
from tasks.extract.fields import (
    find_contacts,
    find_organiser,
    find_person_names,
    find_registration,
    find_topics,
    mentions_cancellation,
)
from tasks.extract.meetings import find_meetings, meeting_id, merge_structured, resolve_date
from tasks.extract.summary import extract_summary, next_meetings
from tasks.extract.tree import MAX_DEPTH
from tasks.extract.vocabulary import Profile, Vocabulary, default_profiles, default_vocabulary
from tasks.records import Meeting, PageContext, PageExtraction
from tasks.site_index import default_discovery_vocabulary, detect_cms

AUTO_PROFILE = "auto"  # the registry's 'profile: auto': read the CMS off the page

__all__ = ["EXTRACTOR_VERSION", "extract_page", "meeting_id"]

EXTRACTOR_VERSION = "0.2.0"
# Pages larger than this are cut before parsing; meeting pages are far smaller.
MAX_HTML_CHARS = 2_000_000
# Municipal articles have a few hundred text blocks; more is a dump, read in part.
MAX_BLOCKS = 3000
_YEAR = re.compile(r"(?<![\d-])((?:19|20)\d{2})(?![\d-])")


def extract_page(
    html: str | bytes,
    context: PageContext,
    *,
    vocabulary: Vocabulary | None = None,
    profiles: dict[str, Profile] | None = None,
) -> PageExtraction:
    """Extract a page; never raises: unreadable input gives kind 'other' and a warning."""
    vocab = vocabulary or default_vocabulary()
    known = profiles or default_profiles()
    generic = known["generic"]
    try:
        html = html[:MAX_HTML_CHARS]
        profile = known.get(_profile_name(html, context.profile), generic)
        document = build_document(html, context.url, profile, generic)
        return replace(_extract_document(document, context, profile, vocab), profile=profile.name)
    except (RecursionError, ValueError, TypeError, AttributeError, LookupError) as exc:
        return PageExtraction(
            url=context.url,
            title=None,
            kind="other",
            published=None,
            warnings=(f"extraction failed: {type(exc).__name__}: {exc}",),
        )


def _profile_name(html: str | bytes, configured: str | None) -> str:
    """The configured profile, or for 'auto' the CMS the page itself shows (generic when unknown)."""
    if configured != AUTO_PROFILE:
        return configured or "generic"
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    return detect_cms(text, default_discovery_vocabulary())


def _extract_document(
    document: Document, context: PageContext, profile: Profile, vocab: Vocabulary
) -> PageExtraction:
    published = find_published(document, profile, vocab)
    warnings: tuple[str, ...] = ()
    if len(document.blocks) > MAX_BLOCKS:
        warnings = (f"page has {len(document.blocks)} text blocks; read the first {MAX_BLOCKS}",)
    if document.too_deep:
        warnings += (f"page nests elements over {MAX_DEPTH} levels deep; the text below that is not read",)
    if document.used_fallback:
        warnings += (f"{profile.name} content selectors matched nothing; read with the generic profile",)
    blocks = [b for b in document.blocks[:MAX_BLOCKS] if not vocab.page_metadata.match(b.text)]
    blocks = with_label_headings(blocks, vocab)
    stamp = opening_stamp_index(blocks, vocab)
    skip = (frozenset({stamp}) if stamp is not None else frozenset()) | teaser_date_lines(blocks)
    title_stamp = _title_stamp(document.title or "", vocab)
    if published is None:
        published = _stamp_date(blocks, stamp, vocab) or title_stamp or find_updated(document, vocab)
    evidence = _year_evidence(document, context, published)
    title = document.title or ""
    text = "\n".join([title, *(b.text for b in blocks)])
    latest_year = (context.fetched_at.year if context.fetched_at else LATEST_YEAR - YEARS_AHEAD) + YEARS_AHEAD
    warnings += tuple(rejected_dates(text, vocab, latest_year))
    organiser = find_organiser([title, *(b.text for b in blocks)], vocab)
    topics = find_topics(text, vocab)
    contacts = find_contacts(text) + find_person_names([title, *(b.text for b in blocks)], vocab)

    if document.is_listing:
        return PageExtraction(
            url=context.url, title=document.title, kind="other", published=published, warnings=warnings
        )
    summary = None
    meetings = find_meetings(title, blocks, evidence, context, vocab, skip)
    meetings = merge_structured(meetings, document.events, title, context, vocab)
    if vocab.summary_title.search(title) or _reports_a_meeting(blocks, meetings, vocab):
        summary = extract_summary(
            title, blocks, evidence, vocab, skip, title_is_stamp=title_stamp is not None
        )
    if summary is not None:
        meetings = next_meetings(blocks, summary, context, vocab, title)
    else:
        meetings = [replace(m, topics=m.topics if m.theme else topics) for m in meetings]
    meetings = [replace(m, organiser=organiser) for m in meetings if _sane_year(m, latest_year)]
    registration = find_registration(blocks, vocab, lambda m, b: resolve_date(m, b, evidence)[0])
    kind = _page_kind(summary, meetings, registration, title, blocks, vocab)
    mailboxes = [c.value for c in contacts if c.kind == "email" and c.functional]
    return PageExtraction(
        url=context.url,
        title=document.title,
        kind=kind,
        published=published,
        meetings=tuple(meetings),
        summary=summary,
        organiser=organiser if kind != "other" else None,
        topics=topics if kind != "other" else (),
        registration=registration if kind in ("invitation", "meeting") else None,
        contacts=contacts,
        contact_mailbox=mailboxes[0] if mailboxes else None,
        mentions_cancelled_undated=not meetings and kind != "other" and mentions_cancellation(text, vocab),
        warnings=warnings,
    )


def _sane_year(meeting: Meeting, latest_year: int) -> bool:
    """Dates past the sane window (a typo such as 2204) are not meetings; rejected_dates warns of them."""
    return meeting.date is None or meeting.date.year <= latest_year


# How many of the first paragraphs that speak of a meeting may say it was already held.
REPORT_LEAD_BLOCKS = 4


def _reports_a_meeting(blocks: Sequence[Block], meetings: Sequence[Meeting], vocab: Vocabulary) -> bool:
    """A report of a meeting held: its opening says so ('Dialogcaféet ägde rum 7 november',
    'Sammanträdet inleddes ...') and it announces no meeting besides the next one.
    """
    lead = [b.text for b in blocks if not b.is_heading and vocab.meeting_evidence.search(b.text)]
    lead = lead[:REPORT_LEAD_BLOCKS]
    reported = any(
        vocab.report.search(sentence) and vocab.meeting_evidence.search(sentence)
        for text in lead
        for sentence in sentences(text)
    )
    if not reported:
        return False
    next_days = {
        (m.month, m.day)
        for b in blocks
        if vocab.next_meeting.search(b.text)
        for m in find_dates(b.text, vocab)
    }
    return all(_month_day(m) in next_days for m in meetings)


def _month_day(meeting: Meeting) -> tuple[int, int] | None:
    if meeting.date is not None:
        return meeting.date.month, meeting.date.day
    if meeting.month_day:
        month, day = meeting.month_day.split("-")
        return int(month), int(day)
    return None


def _stamp_date(blocks: Sequence[Block], stamp: int | None, vocab: Vocabulary) -> date | None:
    """The date of the page's own date line (see opening_stamp_index)."""
    if stamp is None:
        return None
    mention = find_dates(blocks[stamp].text, vocab)[0]
    return date(mention.year, mention.month, mention.day) if mention.year else None


def _title_stamp(title: str, vocab: Vocabulary) -> date | None:
    """A title that is only a full date ('2023-03-16', read from a page that puts its date first)."""
    mentions = find_dates(title, vocab)
    if len(mentions) != 1 or mentions[0].year is None or title[: mentions[0].start].strip():
        return None
    mention = mentions[0]
    if not is_bare_date_line(Block("h1", title), mention):
        return None
    return date(mention.year, mention.month, mention.day)


def find_updated(document: Document, vocab: Vocabulary) -> date | None:
    """'Sidan uppdaterad den 1 december 2017': when no publication date is given, the page's last known date."""
    for line in (*(b.text for b in document.blocks), *document.page_lines):
        if vocab.page_metadata.match(line):
            for mention in find_dates(line, vocab):
                if mention.year is not None:
                    return date(mention.year, mention.month, mention.day)
    return None


def find_published(document: Document, profile: Profile, vocab: Vocabulary) -> date | None:
    """Publication date from metadata, a <time>, or a 'Publicerad 9 maj 2024' line."""
    lowered = {k.lower(): v for k, v in document.meta.items()}
    for key in profile.published_meta:
        value = lowered.get(key.lower())
        if value and (parsed := parse_date_value(value, vocab)):
            return parsed
    for stamp in document.time_datetimes:
        if parsed := parse_date_value(stamp, vocab):
            return parsed
    for line in (*(b.text for b in document.blocks), *document.page_lines):
        if re.match(r"^\W*(artikeln\s+)?publicer", line, re.IGNORECASE) and (
            parsed := parse_date_value(line, vocab)
        ):
            return parsed
    return None


def _year_evidence(document: Document, context: PageContext, published: date | None) -> YearEvidence:
    url_date, url_year = url_date_hints(context.url)
    years = Counter(int(y) for y in _YEAR.findall(document.text))
    return YearEvidence(
        published=published,
        url_date=url_date,
        url_year=url_year,
        text_year=years.most_common(1)[0][0] if years else None,
        fetched=context.fetched_at,
    )


# How many opening paragraphs may say a page is about a dialogue.
LEAD_BLOCKS = 3


def _is_dialogue_page(title: str, blocks: Sequence[Block], vocab: Vocabulary) -> bool:
    """Dialogue words in the title or a heading, or strong ones ('medborgardialog') in the lead."""
    headings = [title, *(b.text for b in blocks if b.is_heading)]
    if any(vocab.dialogue.search(h) for h in headings):
        return True
    lead = [b.text for b in blocks if not b.is_heading][:LEAD_BLOCKS]
    return any(vocab.strong_dialogue.search(text) for text in lead)


def _page_kind(summary, meetings, registration, title, blocks, vocab) -> str:
    if summary is not None:
        return "summary"
    if meetings:
        return "meeting"
    if _is_dialogue_page(title, blocks, vocab) and (registration or vocab.registration.search(title)):
        return "invitation"
    return "other"
