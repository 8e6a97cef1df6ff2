"""Extract one page: HTML in, a PageExtraction out. Pure: no network, clock or database.

The caller passes what it knows (URL, fetch date, municipality, CMS profile)
in a PageContext; everything else comes from the HTML.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from urllib.parse import urlsplit

from tasks.extract.dates import (
    DateMention,
    YearEvidence,
    find_dates,
    find_time_range,
    infer_year,
    parse_date_value,
    time_after,
    url_date_hints,
    year_in_text,
    year_near,
)
from tasks.extract.document import Block, Document, build_document
from tasks.extract.fields import (
    find_attendance,
    find_contacts,
    find_labelled_place,
    find_organiser,
    find_place_in_headings,
    find_registration,
    find_room,
    find_status,
    find_topics,
    mentions_cancellation,
)
from tasks.extract.structured import StructuredEvent
from tasks.extract.vocabulary import Profile, Vocabulary, default_profiles, default_vocabulary
from tasks.records import AgendaItem, Meeting, PageContext, PageExtraction, Summary

EXTRACTOR_VERSION = "0.1.0"
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
    profile = known.get(context.profile or "generic", generic)
    try:
        html = html[:MAX_HTML_CHARS]
        document = build_document(html, context.url, profile, generic)
        return _extract_document(document, context, profile, vocab)
    except (RecursionError, ValueError, TypeError, AttributeError, LookupError) as exc:
        return PageExtraction(
            url=context.url,
            title=None,
            kind="other",
            published=None,
            warnings=(f"extraction failed: {type(exc).__name__}: {exc}",),
        )


def _extract_document(
    document: Document, context: PageContext, profile: Profile, vocab: Vocabulary
) -> PageExtraction:
    published = find_published(document, profile, vocab)
    warnings: tuple[str, ...] = ()
    if len(document.blocks) > MAX_BLOCKS:
        warnings = (f"page has {len(document.blocks)} text blocks; read the first {MAX_BLOCKS}",)
    blocks = [b for b in document.blocks[:MAX_BLOCKS] if not vocab.page_metadata.match(b.text)]
    evidence = _year_evidence(document, context, published)
    title = document.title or ""
    text = "\n".join([title, *(b.text for b in blocks)])
    organiser = find_organiser([title, *(b.text for b in blocks)], vocab)
    topics = find_topics(text, vocab)
    contacts = find_contacts(text)

    summary = None
    if document.is_listing:
        return PageExtraction(url=context.url, title=document.title, kind="other", published=published)
    if vocab.summary_title.search(title):
        summary = extract_summary(title, blocks, evidence, vocab)
    if summary is not None:
        meetings = _next_meetings(blocks, summary, context, vocab)
    elif _is_dialogue_page(title, blocks, vocab):
        meetings = find_meetings(title, blocks, evidence, context, vocab)
        meetings = merge_structured(meetings, document.events, title, context)
    else:
        meetings = []
    meetings = [replace(m, organiser=organiser, topics=m.topics if m.theme else topics) for m in meetings]
    registration = find_registration(blocks, vocab, lambda m, b: _resolve_date(m, b, evidence)[0])
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
        if re.match(r"^\W*(artikeln\s+)?publicera", line, re.IGNORECASE) and (
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


def _is_dialogue_page(title: str, blocks: Sequence[Block], vocab: Vocabulary) -> bool:
    headings = [title, *(b.text for b in blocks if b.is_heading)]
    return any(vocab.dialogue.search(h) for h in headings)


def _page_kind(summary, meetings, registration, title, blocks, vocab) -> str:
    if summary is not None:
        return "summary"
    if meetings:
        return "meeting"
    if _is_dialogue_page(title, blocks, vocab) and (registration or vocab.registration.search(title)):
        return "invitation"
    return "other"


def meeting_id(url: str, day: date | None, month_day: str | None) -> str:
    """Stable id from the page address and the day: no title, so retitling keeps it."""
    parts = urlsplit(url)
    canonical = f"{parts.netloc.lower()}{parts.path.rstrip('/')}"
    key = f"{canonical}|{day.isoformat() if day else month_day}"
    return "m-" + hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class _Candidate:
    mention: DateMention
    block: Block
    segment: str
    start: time | None
    end: time | None
    place: str | None = None
    address: str | None = None
    status: str = "scheduled"


def _resolve_date(
    mention: DateMention, block: Block, evidence: YearEvidence
) -> tuple[date | None, str | None]:
    """The full date of a mention and how its year was found ('text', 'heading', ...)."""
    if mention.year is not None:
        return date(mention.year, mention.month, mention.day), "text"
    section_year = next((y for h in reversed(block.headings) if (y := year_in_text(h))), None)
    year, basis = infer_year(
        mention.month,
        mention.day,
        weekday=mention.weekday,
        evidence=replace(evidence, section_year=section_year),
    )
    if year is None:
        return None, None
    return date(year, mention.month, mention.day), basis


# How many blocks below a lone date may hold its time and place.
DETAIL_WINDOW = 4


def _details_below(blocks: Sequence[Block], index: int, vocab: Vocabulary) -> list[Block]:
    """The lines under a lone date ('Tisdag 12 mars' then 'Kl 18-20', 'Plats: ...'), up to the next date."""
    details: list[Block] = []
    for block in blocks[index + 1 : index + 1 + DETAIL_WINDOW]:
        if block.is_heading or (find_dates(block.text, vocab) and not vocab.time_label.match(block.text)):
            break
        details.append(block)
    return details


def _is_deadline(text: str, mention: DateMention, vocab: Vocabulary) -> bool:
    """'Anmäl dig senast 3 mars': a sign-up deadline, not a meeting."""
    before = text[max(0, mention.start - 40) : mention.start]
    return any(match.end() == len(before) for match in vocab.registration_deadline.finditer(before))


def _mention_status(text: str, mentions: Sequence[DateMention], position: int, vocab: Vocabulary) -> str:
    """Status of one date in a line: its own words, not a neighbour's.

    'Mötet 5 maj flyttas till 12 maj': 5 maj is postponed, 12 maj is the new
    (scheduled) date. A line with one date takes the whole line's words.
    """
    mention = mentions[position]
    before = text[mentions[position - 1].end if position else 0 : mention.start]
    if position and vocab.new_date.search(before):
        return "scheduled"
    if len(mentions) == 1:
        return find_status(text, vocab)
    after = text[mention.end : mentions[position + 1].start if position + 1 < len(mentions) else len(text)]
    return find_status(after, vocab)


def _candidates(blocks: Sequence[Block], vocab: Vocabulary, town: str | None) -> list[_Candidate]:
    found: list[_Candidate] = []
    for index, block in enumerate(blocks):
        if vocab.past_decision.search(block.text):
            continue
        mentions = [m for m in find_dates(block.text, vocab) if not _is_deadline(block.text, m, vocab)]
        in_block: list[_Candidate] = []
        for position, mention in enumerate(mentions):
            next_start = mentions[position + 1].start if position + 1 < len(mentions) else None
            clock = time_after(block.text, mention, next_start, vocab)
            place = address = None
            status = _mention_status(block.text, mentions, position, vocab)
            if len(mentions) == 1:
                details = _details_below(blocks, index, vocab)
                if clock is None:
                    clock = next((c for b in details if (c := find_time_range(b.text, vocab))), None)
                place, address = find_labelled_place(details, vocab, town)
                if status == "scheduled":
                    status = find_status(" ".join(b.text for b in details), vocab)
            segment = block.text[mention.end : next_start]
            in_block.append(
                _Candidate(
                    mention,
                    block,
                    segment,
                    clock.start if clock else None,
                    clock.end if clock else None,
                    place,
                    address,
                    status,
                )
            )
        found.extend(_share_list_time(in_block))
    return found


def _share_list_time(candidates: list[_Candidate]) -> list[_Candidate]:
    """'5/2, 9/4 och 3/9 kl. 15-17': a time after the last date of a list holds for all of them."""
    if len(candidates) < 2 or candidates[-1].start is None or any(c.start for c in candidates[:-1]):
        return candidates
    last = candidates[-1]
    return [replace(c, start=last.start, end=last.end) for c in candidates]


def _page_wide_status(blocks: Sequence[Block], vocab: Vocabulary) -> str:
    """'Mötet är inställt.' in a line of its own, for a page with a single meeting."""
    for block in blocks:
        if not find_dates(block.text, vocab):
            status = find_status(block.text, vocab)
            if status != "scheduled":
                return status
    return "scheduled"


def _shared_time(blocks: Sequence[Block], vocab: Vocabulary) -> tuple[time | None, time | None]:
    """One time stated for a whole list ('Mötena hålls kl. 15.00 – 17.00')."""
    for block in blocks:
        if vocab.dialogue.search(block.text) and not find_dates(block.text, vocab):
            clock = find_time_range(block.text, vocab)
            if clock is not None and clock.end is not None:
                return clock.start, clock.end
    return None, None


def _theme_and_speakers(candidate: _Candidate, vocab: Vocabulary) -> tuple[str | None, str | None]:
    """'16 september – om privatekonomi (Namn, titel)': theme and the speakers in brackets."""
    if candidate.block.tag not in ("li", "dt", "dd", "td"):
        return None, None
    rest = candidate.segment
    clock = find_time_range(rest, vocab)
    if clock is not None:
        rest = re.sub(r"^.*?\d{1,2}(?:[.:]\d{2})?(?:\s*[-–—]\s*\d{1,2}(?:[.:]\d{2})?)?", "", rest, count=1)
    speakers = None
    bracket = re.search(r"\(([^)]*)\)", rest)
    if bracket:
        speakers = bracket.group(1).strip() or None
        rest = rest[: bracket.start()] + rest[bracket.end() :]
    theme = rest.strip(" \t–—-:,.")
    return theme or None, speakers


def find_meetings(
    title: str, blocks: Sequence[Block], evidence: YearEvidence, context: PageContext, vocab: Vocabulary
) -> list[Meeting]:
    """Dated meetings on a dialogue page, one per day, details merged from every mention."""
    place, address = find_labelled_place(blocks, vocab, context.municipality)
    if place is None and address is None:
        place = find_place_in_headings([title, *(b.text for b in blocks if b.is_heading)], vocab)
    page_text = "\n".join([title, *(b.text for b in blocks)])
    attendance = find_attendance(bool(place or address), page_text, vocab)
    shared_start, shared_end = _shared_time(blocks, vocab)
    page_cancelled = find_status(title, vocab)

    if place and not address and vocab.online.search(place):
        place = None  # 'Plats: via Teams' names a link, not a room
        attendance = "online"
    candidates = _candidates(blocks, vocab, context.municipality)
    single_day = len({(c.mention.month, c.mention.day) for c in candidates}) == 1
    page_wide_status = _page_wide_status(blocks, vocab) if single_day else "scheduled"
    merged: dict[str, Meeting] = {}
    for candidate in candidates:
        day, basis = _resolve_date(candidate.mention, candidate.block, evidence)
        month_day = f"{candidate.mention.month:02d}-{candidate.mention.day:02d}"
        theme, speakers = _theme_and_speakers(candidate, vocab)
        status = candidate.status
        if status == "scheduled":
            status = page_cancelled
        if status == "scheduled":
            status = page_wide_status
        meeting = Meeting(
            id=meeting_id(context.url, day, month_day),
            title=title,
            date=day,
            month_day=None if day else month_day,
            year_basis=basis,
            start=candidate.start or shared_start,
            end=candidate.end or (shared_end if candidate.start is None else None),
            place=candidate.place if candidate.place and not vocab.online.search(candidate.place) else place,
            address=candidate.address or (address if not candidate.place else None),
            attendance=attendance,
            status=status,
            topics=find_topics(theme, vocab) if theme else (),
            theme=theme,
            speakers=speakers,
        )
        key = meeting.id
        merged[key] = _merge(merged[key], meeting) if key in merged else meeting
    return list(merged.values())


def merge_structured(
    meetings: list[Meeting], events: Sequence[StructuredEvent], title: str, context: PageContext
) -> list[Meeting]:
    """Meetings the page declares as schema.org Events win on date, time, place and status."""
    by_id = {m.id: m for m in meetings}
    for event in events:
        identifier = meeting_id(context.url, event.day, None)
        from_text = by_id.get(identifier)
        declared = Meeting(
            id=identifier,
            title=event.name or title,
            date=event.day,
            month_day=None,
            year_basis="structured_data",
            start=event.start,
            end=event.end,
            place=event.place,
            address=event.address,
            attendance=event.attendance,
            status=event.status or "scheduled",
        )
        by_id[identifier] = _merge(declared, from_text) if from_text else declared
    return sorted(by_id.values(), key=lambda m: (m.date or date.max, m.start or time.min))


def _merge(first: Meeting, second: Meeting) -> Meeting:
    """Fill what the first mention of a day left empty from a later mention."""
    updates = {
        name: getattr(second, name)
        for name in ("start", "end", "theme", "speakers", "place", "address", "attendance")
        if getattr(first, name) is None and getattr(second, name) is not None
    }
    if first.status == "scheduled" and second.status != "scheduled":
        updates["status"] = second.status
    return replace(first, **updates)


# Where a summary names its body and date when the title does not.
SUMMARY_OPENING_BLOCKS = 3


def _clock_after(pattern: str, text: str) -> time | None:
    match = re.search(
        rf"(?:{pattern})\s+(?:klockan\s+|kl\.?\s*)?(?P<h>\d{{1,2}})[.:](?P<m>\d{{2}})", text, re.IGNORECASE
    )
    if not match:
        return None
    hours, minutes = int(match.group("h")), int(match.group("m"))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _agenda_items(title: str, blocks: Sequence[Block], vocab: Vocabulary) -> tuple[AgendaItem, ...]:
    items = []
    for block in blocks:
        heading = block.text.strip()
        if not block.is_heading or heading == title or heading.endswith(":"):
            continue
        if heading.lower().rstrip(" ?") in vocab.summary_non_item_headings:
            continue
        items.append(AgendaItem(heading, confidential="sekretess" in heading.lower()))
    return tuple(items)


def extract_summary(
    title: str, blocks: Sequence[Block], evidence: YearEvidence, vocab: Vocabulary
) -> Summary:
    """Body, date, times, counts and items of a meeting summary ('... i korthet')."""
    text = "\n".join(b.text for b in blocks)
    opening = [Block("h1", title), *blocks[:SUMMARY_OPENING_BLOCKS]]
    body_match = next((m for b in opening if (m := vocab.body.search(b.text))), None)
    held: date | None = None
    basis: str | None = None
    dated = next(((b, found[0]) for b in opening if (found := find_dates(b.text, vocab))), None)
    if dated:
        held, basis = _resolve_date(dated[1], dated[0], evidence)
    count = vocab.summary_item_count.search(text)
    confidential = vocab.summary_confidential.search(text)
    next_date = None
    for block in blocks:
        if vocab.next_meeting.search(block.text) and (found := find_dates(block.text, vocab)):
            next_date = _date_after(found[0], held)
            break
    return Summary(
        body=body_match.group(1) if body_match else None,
        date=held,
        year_basis=basis,
        start=_clock_after(vocab.summary_start, text),
        end=_clock_after(vocab.summary_end, text),
        items=_agenda_items(title, blocks, vocab),
        item_count=int(count.group(1)) if count else None,
        confidential_item_count=int(confidential.group(1)) if confidential else None,
        next_meeting_date=next_date,
    )


def _date_after(mention: DateMention, reference: date | None) -> date | None:
    if mention.year is not None:
        return date(mention.year, mention.month, mention.day)
    if reference is None:
        return None
    return date(year_near(mention.month, mention.day, reference), mention.month, mention.day)


def _next_meetings(
    blocks: Sequence[Block], summary: Summary, context: PageContext, vocab: Vocabulary
) -> list[Meeting]:
    """The next meeting a summary names, as a scheduled meeting of the same body."""
    if summary.next_meeting_date is None:
        return []
    block = next(b for b in blocks if vocab.next_meeting.search(b.text) and find_dates(b.text, vocab))
    place = find_room(block.text, vocab)
    clock = find_time_range(block.text, vocab)
    title = f"{summary.body}, sammanträde" if summary.body else "Sammanträde"
    return [
        Meeting(
            id=meeting_id(context.url, summary.next_meeting_date, None),
            title=title,
            date=summary.next_meeting_date,
            month_day=None,
            year_basis="summary",
            start=clock.start if clock else None,
            end=clock.end if clock else None,
            place=place,
            address=None,
            attendance="in_person" if place else None,
            status=find_status(block.text, vocab),
        )
    ]
