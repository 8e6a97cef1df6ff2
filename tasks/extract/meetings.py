"""Meetings from a dialogue page's text blocks: dates, then each date's time, place and status.

Every date mention becomes a candidate; candidates of the same day merge, so
a page that says "Tisdag 28 maj kl 17.30" and later "När? 28:e maj" yields one
meeting with details from both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from urllib.parse import urlsplit

from tasks.extract.activity import classify_activity
from tasks.extract.dates import (
    DateMention,
    TimeRange,
    YearEvidence,
    find_dates,
    find_time_range,
    infer_year,
    time_after,
    year_in_text,
)
from tasks.extract.document import Block
from tasks.extract.evidence import (
    is_bare_date_line,
    is_label_line,
    is_not_a_meeting,
    page_speaks_of_meetings,
    section_has_evidence,
    sentence_has_evidence,
    sentence_span,
    sentences,
)
from tasks.extract.fields import (
    find_attendance,
    find_inline_labelled_place,
    find_labelled_place,
    find_named_venue,
    find_place_in_headings,
    find_status,
    find_topics,
    find_venue_by_date,
    find_venue_sentence,
    strip_online_part,
)
from tasks.extract.structured import StructuredEvent
from tasks.extract.vocabulary import Vocabulary
from tasks.records import Meeting, PageContext

# How many blocks below a lone date may hold its time and place.
DETAIL_WINDOW = 4
# A date line with at most this many other characters is a label for the lines below.
LONE_DATE_EXTRA_CHARS = 25
# ... or at most this many other words ('19 januari - Norrbyn/Söderbyn/Västerbyn').
LONE_DATE_EXTRA_WORDS = 3
# How far before a date a 'senast' or 'Uppdatering' may stand.
PREFIX_WINDOW_CHARS = 40
# Status of a date that a moved meeting moves to: scheduled, and not overridden by the page's words.
MOVED_HERE = "moved_here"


def page_identity(url: str, source_id: str | None) -> str:
    """Where a page is, independent of its origin: the source (or, without one, the host
    without 'www.') and the path. Scheme, port and 'www.' never count, so the demo on other
    ports, http versus https or a site dropping 'www.' keep every id."""
    parts = urlsplit(url)
    scope = source_id or (parts.hostname or "").removeprefix("www.")
    return f"{scope}|{parts.path.rstrip('/')}"


def meeting_id(url: str, day: date | None, month_day: str | None, source_id: str | None = None) -> str:
    """Stable id from the source, the page's path and the day: no title, so retitling keeps it."""
    key = f"{page_identity(url, source_id)}|{day.isoformat() if day else month_day}"
    return "m-" + hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class Candidate:
    """One date mention and what its own line (or the lines below it) says."""

    mention: DateMention
    block: Block
    segment: str
    start: time | None
    end: time | None
    place: str | None = None
    address: str | None = None
    status: str = "scheduled"
    same_time: bool = False
    same_place: bool = False
    online: bool = False
    online_only: bool = False
    detail_ids: frozenset[int] = frozenset()
    evidence: bool = False
    details_given: bool = False


def resolve_date(
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


def _preceded_by(text: str, mention: DateMention, pattern: re.Pattern[str]) -> bool:
    before = text[max(0, mention.start - PREFIX_WINDOW_CHARS) : mention.start]
    return any(match.end() == len(before) for match in pattern.finditer(before))


def meeting_mentions(text: str, vocab: Vocabulary) -> list[DateMention]:
    """Dates that may be meetings: not sign-up deadlines ('senast 3 mars') or stamps ('Uppdatering 27 maj')."""
    return [
        m
        for m in find_dates(text, vocab)
        if not _preceded_by(text, m, vocab.registration_deadline) and not vocab.stamp.search(text[: m.start])
    ]


def _details_below(blocks: Sequence[Block], index: int, vocab: Vocabulary) -> list[Block]:
    """The lines under a lone date ('Tisdag 12 mars' then 'Kl 18-20', 'Plats: ...'), up to the next date."""
    details: list[Block] = []
    for block in blocks[index + 1 : index + 1 + DETAIL_WINDOW]:
        if blocks[index].tag == "li" and block.tag != "li" and _is_sentence(block.text):
            break  # the list has ended; a sentence after it is not the last entry's details
        if (
            block.is_heading
            or is_label_line(block, vocab)
            or len(block.text.split()) > DETAIL_MAX_WORDS
            or (meeting_mentions(block.text, vocab) and not vocab.time_label.match(block.text))
        ):
            break
        details.append(block)
    return details


def _is_sentence(text: str) -> bool:
    """Prose rather than a label line: several words ending in a full stop."""
    return text.rstrip().endswith((".", "!", "?")) and len(text.split()) >= SENTENCE_MIN_WORDS


SENTENCE_MIN_WORDS = 5
# A detail line under a date is short ('Kl 18-20', 'Plats: Folkets hus, Stora salen'); prose ends the details.
DETAIL_MAX_WORDS = 12


def _stands_alone(block: Block, mention: DateMention, vocab: Vocabulary) -> bool:
    """A heading or a short line that is mostly the date (and its status): its details follow below."""
    if block.tag == "tr":
        return False
    rest = block.text[: mention.start] + block.text[mention.end :]
    for words in (vocab.cancelled, vocab.postponed, vocab.not_status, vocab.same_time):
        rest = words.sub("", rest)
    rest = re.sub(r"[\W\d_]+", " ", rest).strip()
    return (
        block.is_heading or len(rest) <= LONE_DATE_EXTRA_CHARS or len(rest.split()) <= LONE_DATE_EXTRA_WORDS
    )


def _mention_status(text: str, mentions: Sequence[DateMention], position: int, vocab: Vocabulary) -> str:
    """Status of one date in a line: its own sentence's words, not a neighbour's.

    'Mötet 5 maj flyttas till 12 maj': 5 maj is postponed, 12 maj is where it
    moved (MOVED_HERE). 'har beslutat att ställa in sammanträdet den 30 mars':
    the words before the date count too. A line with one date also takes the
    status of its other sentences that speak of a meeting ('Mötet är inställt.')
    or are a status alone ('Inställt!').
    """
    mention = mentions[position]
    previous_end = mentions[position - 1].end if position else 0
    next_start = mentions[position + 1].start if position + 1 < len(mentions) else len(text)
    if vocab.new_date.search(text[previous_end : mention.start]):
        return MOVED_HERE
    own_start, own_end = sentence_span(text, mention.start, mention.end)
    if len(mentions) > 1:
        after_end = min(own_end, next_start) if position + 1 < len(mentions) else len(text)
        return _clause_status(
            text[max(own_start, previous_end) : mention.start], text[mention.end : after_end], vocab
        )
    status = _clause_status(text[own_start : mention.start], text[mention.end : own_end], vocab)
    if status != "scheduled":
        return status
    for sentence in _other_sentences(text, own_start, own_end):
        about_a_meeting = vocab.dialogue.search(sentence) or len(sentence.split()) <= STATUS_ALONE_WORDS
        if about_a_meeting and (status := find_status(sentence, vocab)) != "scheduled":
            return status
    return "scheduled"


def _clause_status(before: str, after: str, vocab: Vocabulary) -> str:
    """Any status word after a date; before it only a cancellation ('att ställa in sammanträdet den 30 mars').

    A move before a date names where a meeting moves to ('flyttas till mötet den 26 november').
    """
    status = find_status(after, vocab)
    if status != "scheduled":
        return status
    if vocab.cancelled.search(before):
        return "cancelled"
    moved = list(vocab.postponed.finditer(before))
    if moved and not _MOVED_TO.search(before[moved[-1].end() :]):
        return "postponed"  # 'skjuta upp mötet, som skulle ha hållits den 20 augusti'
    return "scheduled"


# Between a move and a date, these words make the date the new one ('flyttas till mötet den 26 november').
_MOVED_TO = re.compile(r"(?<!\w)(?:till|i stället|istället)(?!\w)", re.IGNORECASE)


# A sentence of at most this many words may be a status on its own ('Inställt!').
STATUS_ALONE_WORDS = 3


def _other_sentences(text: str, own_start: int, own_end: int) -> list[str]:
    """The sentences of a line besides the one at [own_start, own_end)."""
    rest = [text[:own_start], text[own_end:]]
    return [s for part in rest for s in sentences(part) if s.strip(" .!?;")]


def _candidate(
    blocks: Sequence[Block],
    index: int,
    mentions: list[DateMention],
    position: int,
    vocab: Vocabulary,
    town: str | None,
) -> Candidate:
    block = blocks[index]
    mention = mentions[position]
    next_start = mentions[position + 1].start if position + 1 < len(mentions) else None
    clock: TimeRange | None = time_after(block.text, mention, next_start, vocab)
    place = address = None
    status = _mention_status(block.text, mentions, position, vocab)
    details: list[Block] = []
    if len(mentions) == 1 and _stands_alone(block, mention, vocab):
        details = _details_below(blocks, index, vocab)
        if clock is None:
            clock = next((c for b in details if (c := find_time_range(b.text, vocab))), None)
        place, address = find_labelled_place(details, vocab, town)
        if status == "scheduled":
            status = find_status(" ".join(b.text for b in details), vocab)
    if place is None and address is None:
        place, address = find_inline_labelled_place(block.text, vocab, town)
    if place is None and address is None:
        previous_end = mentions[position - 1].end if position else 0
        place, address = find_venue_by_date(block.text, mention, next_start, previous_end, vocab, town)
    if place is None and address is None:
        place, address = find_venue_sentence(block.text, vocab, town)
    place, online_place = strip_online_part(place, vocab)
    own_text = " ".join([block.text, *(b.text for b in details)])
    online_place = online_place or any(
        vocab.online.search(line) for line in _place_lines([block, *details], vocab)
    )
    segment = block.text[mention.end : next_start]
    evidence = _has_evidence(block, mention, details, vocab)
    details_given = bool(clock or place or address or online_place or status != "scheduled")
    return Candidate(
        mention=mention,
        block=block,
        segment=segment,
        start=clock.start if clock else None,
        end=clock.end if clock else None,
        place=place,
        address=address,
        status=status,
        same_time=clock is None and vocab.same_time.search(segment) is not None,
        same_place=vocab.same_place.search(segment) is not None,
        online=online_place or find_attendance(False, own_text, vocab) == "online",
        online_only=online_place and place is None and address is None,
        detail_ids=frozenset(id(b) for b in details),
        evidence=evidence,
        details_given=details_given,
    )


def _has_evidence(block: Block, mention: DateMention, details: Sequence[Block], vocab: Vocabulary) -> bool:
    """A meeting word in the date's sentence or the lines below it; for a list entry, in its headings.

    A list entry is a date line ('12 mars', '12 mars – om ekonomi') or an item that starts with its date;
    a list item that is a sentence ('Från 1 januari ansvarar nämnden för ...') is prose.
    """
    if sentence_has_evidence(block.text, mention, vocab):
        return True
    if any(vocab.meeting_evidence.search(b.text) for b in details):
        return True
    starts_entry = block.tag in ("li", "dt", "dd", "tr") and not re.search(r"\w", block.text[: mention.start])
    listed = starts_entry or is_bare_date_line(block, mention)
    return listed and section_has_evidence(block, vocab)


def _place_lines(blocks: Sequence[Block], vocab: Vocabulary) -> list[str]:
    """The place labels among some lines, label and value ('Lokal: Zoom, länk ...'), cells included."""
    lines = []
    for block in blocks:
        for cell in block.text.split(" | "):
            if vocab.place_label.match(cell) or vocab.place_label_inline.match(cell):
                lines.append(cell)
    return lines


def find_candidates(
    blocks: Sequence[Block],
    vocab: Vocabulary,
    town: str | None,
    skip: frozenset[int] = frozenset(),
    meeting_page: bool = True,
) -> list[Candidate]:
    """Every date mention with evidence of a meeting and no counter-evidence, with what its context says.

    Evidence is a meeting word of the date's own (see `_has_evidence`) or, on a
    page that speaks of meetings (`meeting_page`), a time, place or status of its own.
    `skip` holds indexes of lines known not to date meetings (the page's own date stamp).
    """
    found: list[Candidate] = []
    for index, block in enumerate(blocks):
        if index in skip or vocab.document_link.search(block.text):
            continue  # 'Protokoll 2025-11-20 (pdf)' dates a document
        mentions = meeting_mentions(block.text, vocab)
        in_block = [_candidate(blocks, index, mentions, p, vocab, town) for p in range(len(mentions))]
        in_block = _share_list_time(in_block)
        found.extend(
            c
            for c in in_block
            if (c.evidence or (meeting_page and (c.details_given or c.start)))
            and not is_not_a_meeting(block.text, c.mention, vocab)
        )
    return _fill_same_place(_fill_same_time(found))


def _share_list_time(candidates: list[Candidate]) -> list[Candidate]:
    """'5/2, 9/4 och 3/9 kl. 15-17': a time after the last date of a list holds for all of them."""
    if len(candidates) < 2 or candidates[-1].start is None or any(c.start for c in candidates[:-1]):
        return candidates
    last = candidates[-1]
    return [replace(c, start=last.start, end=last.end) for c in candidates]


def _fill_same_time(candidates: list[Candidate]) -> list[Candidate]:
    """'flyttas till 15 april, samma tid': the time of the date mentioned before it."""
    filled: list[Candidate] = []
    for candidate in candidates:
        if candidate.same_time:
            earlier = next((c for c in reversed(filled) if c.start is not None), None)
            if earlier is not None:
                candidate = replace(candidate, start=earlier.start, end=earlier.end)
        filled.append(candidate)
    return filled


def _fill_same_place(candidates: list[Candidate]) -> list[Candidate]:
    """'samma tid och plats: Medborgarhuset': a moved meeting shares its place with the one it replaces."""
    stated = next((c for c in candidates if c.same_place and (c.place or c.address)), None)
    if stated is None:
        return candidates
    return [
        c if c.place or c.address else replace(c, place=stated.place, address=stated.address)
        for c in candidates
    ]


def _page_wide_status(blocks: Sequence[Block], vocab: Vocabulary) -> str:
    """'Mötet är inställt.' in a line of its own, for a page with a single meeting."""
    for block in blocks:
        if not meeting_mentions(block.text, vocab):
            status = find_status(block.text, vocab)
            if status != "scheduled":
                return status
    return "scheduled"


def _shared_time(blocks: Sequence[Block], vocab: Vocabulary) -> TimeRange | None:
    """One time stated for a whole list ('Mötena hålls kl. 15.00 – 17.00', 'Tid: kl. 13-15.30')."""
    for block in blocks:
        stated = (
            vocab.dialogue.search(block.text)
            or vocab.meeting_evidence.search(block.text)
            or vocab.time_label.match(block.text)
        )
        if stated and not find_dates(block.text, vocab) and not _is_opening_hours(block.text, vocab):
            clock = find_time_range(block.text, vocab)
            if clock is not None and clock.end is not None:
                return clock
    return _shared_start(blocks, vocab)


def _shared_start(blocks: Sequence[Block], vocab: Vocabulary) -> TimeRange | None:
    """A start time stated once for every meeting ('Varje träff inleds klockan 19.00', 'Mötet ... börjar kl 17')."""
    for block in blocks:
        if vocab.start_verbs.search(block.text) and not find_dates(block.text, vocab):
            for sentence in sentences(block.text):
                if vocab.start_verbs.search(sentence) and (clock := find_time_range(sentence, vocab)):
                    return clock
    return None


def _page_place(
    title: str, blocks: Sequence[Block], vocab: Vocabulary, town: str | None
) -> tuple[str | None, str | None]:
    """One place stated for all dates: a label, a 'hålls i ...' sentence, an inline label, a heading."""
    place, address = find_labelled_place(blocks, vocab, town)
    undated = [b for b in blocks if not meeting_mentions(b.text, vocab)]
    for finder in (find_venue_sentence, find_inline_labelled_place):
        for block in undated:
            if place is not None or address is not None:
                return place, address
            place, address = finder(block.text, vocab, town)
    if place is None and address is None:
        place = find_place_in_headings([title, *(b.text for b in blocks if b.is_heading)], vocab)
    if place is None and address is None:
        spoken = [
            b for b in undated if vocab.meeting_evidence.search(b.text) or vocab.dialogue.search(b.text)
        ]
        for block in spoken:
            place, address = find_named_venue(block.text, vocab, town)
            if place is not None or address is not None:
                break
    return place, address


def _theme_and_speakers(candidate: Candidate, vocab: Vocabulary) -> tuple[str | None, str | None]:
    """'16 september – om privatekonomi (Namn, titel)': theme and the speakers in brackets."""
    if candidate.block.tag not in ("li", "dt", "dd"):
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


def _unify_years(
    candidates: list[Candidate], dates: list[tuple[date | None, str | None]]
) -> list[tuple[date | None, str | None]]:
    """A day written once with its weekday ('Tisdag 28 maj') fixes the year of its bare mentions ('28 maj')."""
    anchored = {
        (c.mention.month, c.mention.day): d
        for c, (d, _basis) in zip(candidates, dates, strict=True)
        if d is not None and (c.mention.weekday is not None or c.mention.year is not None)
    }
    unified = []
    for candidate, (day, basis) in zip(candidates, dates, strict=True):
        anchor = anchored.get((candidate.mention.month, candidate.mention.day))
        if anchor is not None and candidate.mention.weekday is None and candidate.mention.year is None:
            unified.append((anchor, "weekday" if anchor != day else basis))
        else:
            unified.append((day, basis))
    return unified


def _section_time(candidate: Candidate, blocks: Sequence[Block], vocab: Vocabulary) -> TimeRange | None:
    """'Alla kvällar klockan 18.30—20.30' under the same heading as a list of dates."""
    for index, block in enumerate(blocks):
        if (
            block.headings == candidate.block.headings
            and not block.is_heading
            and not find_dates(block.text, vocab)
            and not _is_opening_hours(block.text, vocab)
        ):
            clock = find_time_range(block.text, vocab)
            if clock is not None and clock.end is not None:
                return _with_later_sessions(clock, blocks[index + 1 :], vocab)
    return None


def _is_opening_hours(text: str, vocab: Vocabulary) -> bool:
    """'Måndag - fredag 07.30 - 17.00': weekdays without a date name opening hours, not a meeting's time."""
    return re.search(rf"(?<!\w)(?:{vocab.weekday_pattern})\w*\s*[-–]", text, re.IGNORECASE) is not None


def _with_later_sessions(clock: TimeRange, following: Sequence[Block], vocab: Vocabulary) -> TimeRange:
    """Sessions on consecutive lines ('Pass 1 kl. 15-16.30', 'Pass 2 kl. 17-18'): the meeting spans them all."""
    end = clock.end
    for block in following:
        if block.is_heading or find_dates(block.text, vocab):
            break
        later = find_time_range(block.text, vocab)
        if later is None or later.end is None or end is None or later.start is None or later.start < end:
            break
        end = later.end
    return TimeRange(clock.start, end)


def _activity(
    candidate: Candidate, blocks: Sequence[Block], title: str, page_text: str, vocab: Vocabulary
) -> str:
    """The activity named nearest the date: its sentence, its line and details, its headings, title, page."""
    text = candidate.block.text
    start, end = sentence_span(text, candidate.mention.start, candidate.mention.end)
    details = [b.text for b in blocks if id(b) in candidate.detail_ids]
    return classify_activity(
        [text[start:end], text, *details, *reversed(candidate.block.headings), title, page_text], vocab
    )


def _attendance(place: str | None, address: str | None, online: bool) -> str | None:
    if online:
        return "hybrid" if place or address else "online"
    return "in_person" if place or address else None


def find_meetings(
    title: str,
    blocks: Sequence[Block],
    evidence: YearEvidence,
    context: PageContext,
    vocab: Vocabulary,
    skip: frozenset[int] = frozenset(),
) -> list[Meeting]:
    """Dated meetings on a page, one per day, details merged from every mention.

    `skip` holds indexes of blocks that date the page, not a meeting.
    """
    town = context.municipality
    place, address = _page_place(title, blocks, vocab, town)
    place, _ = strip_online_part(place, vocab)
    shared = _shared_time(blocks, vocab)
    candidates = find_candidates(
        blocks, vocab, town, skip, page_speaks_of_meetings(title, blocks, vocab, skip)
    )
    page_text = "\n".join(b.text for b in blocks)
    # Online words on a meeting's own lines concern that meeting; elsewhere, all of them.
    dated_lines = {id(c.block) for c in candidates}
    page_online = any(
        find_attendance(False, b.text, vocab) == "online"
        for b in [Block("h1", title), *blocks]
        if id(b) not in dated_lines and not vocab.place_label.match(b.text)
    )
    single_day = len({(c.mention.month, c.mention.day) for c in candidates}) == 1
    page_status = find_status(title, vocab) if single_day else "scheduled"
    if page_status == "scheduled" and single_day:
        page_status = _page_wide_status(blocks, vocab)
    dates = _unify_years(candidates, [resolve_date(c.mention, c.block, evidence) for c in candidates])

    merged: dict[str, Meeting] = {}
    online_ids: set[str] = set()
    online_only_ids: set[str] = set()
    for candidate, (day, basis) in zip(candidates, dates, strict=True):
        month_day = f"{candidate.mention.month:02d}-{candidate.mention.day:02d}"
        theme, speakers = _theme_and_speakers(candidate, vocab)
        if candidate.online_only:
            meeting_place, meeting_address = None, None
        elif candidate.place or candidate.address:
            meeting_place, meeting_address = candidate.place, candidate.address
        else:
            meeting_place, meeting_address = place, address
        status = candidate.status
        if status == MOVED_HERE:
            status = "scheduled"
        elif status == "scheduled":
            status = page_status
        start, end = candidate.start, candidate.end
        if start is None:
            clock = _section_time(candidate, blocks, vocab) or shared
            if clock is not None:
                start, end = clock.start, clock.end
        meeting = Meeting(
            id=meeting_id(context.url, day, month_day, context.source_id),
            title=title,
            date=day,
            month_day=None if day else month_day,
            year_basis=basis,
            start=start,
            end=end,
            place=meeting_place,
            address=meeting_address,
            attendance=None,
            status=status,
            topics=find_topics(theme, vocab) if theme else (),
            theme=theme,
            speakers=speakers,
            activity=_activity(candidate, blocks, title, page_text, vocab),
        )
        if candidate.online or page_online:
            online_ids.add(meeting.id)
        if candidate.online_only:
            online_only_ids.add(meeting.id)
        merged[meeting.id] = merge_meetings(merged[meeting.id], meeting) if meeting.id in merged else meeting
    return [
        replace(m, attendance=_attendance(m.place, m.address, m.id in online_ids)) for m in merged.values()
    ]


def merge_structured(
    meetings: list[Meeting],
    events: Sequence[StructuredEvent],
    title: str,
    context: PageContext,
    vocab: Vocabulary | None = None,
) -> list[Meeting]:
    """Meetings the page declares as schema.org Events win on date, time, place and status.

    The activity is the text's reading of the same day, else the event's name or the title's words.
    """
    by_id = {m.id: m for m in meetings}
    for event in events:
        identifier = meeting_id(context.url, event.day, None, context.source_id)
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
            activity=from_text.activity
            if from_text
            else (classify_activity([event.name, title], vocab) if vocab else "other"),
        )
        by_id[identifier] = merge_meetings(declared, from_text) if from_text else declared
    return sorted(by_id.values(), key=lambda m: (m.date or date.max, m.start or time.min))


def merge_meetings(first: Meeting, second: Meeting) -> Meeting:
    """Fill what the first mention of a day left empty from a later mention."""
    updates = {
        name: getattr(second, name)
        for name in ("start", "end", "theme", "speakers", "place", "address", "attendance")
        if getattr(first, name) is None and getattr(second, name) is not None
    }
    if first.status == "scheduled" and second.status != "scheduled":
        updates["status"] = second.status
    return replace(first, **updates)
