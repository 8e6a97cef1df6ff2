"""Summaries of committee meetings ("Socialnämnden 21 juni i korthet", "Det här beslutade ...").

A summary reports a meeting that took place: its body, date, start and end,
agenda items and their counts, and often the next meeting's date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time

from tasks.extract.activity import classify_activity
from tasks.extract.dates import DateMention, TimeRange, YearEvidence, find_dates, time_after, year_near
from tasks.extract.document import Block
from tasks.extract.evidence import is_reported
from tasks.extract.fields import find_room, find_status, find_venue_sentence
from tasks.extract.meetings import meeting_id, meeting_mentions, resolve_date
from tasks.extract.vocabulary import Vocabulary
from tasks.records import AgendaItem, Meeting, PageContext, Summary

# Where a summary names its body and date when the title does not.
SUMMARY_OPENING_BLOCKS = 3


def _clock_after(pattern: str, text: str) -> time | None:
    """'började klockan 17:00' -> 17:00 for the given start or end words."""
    match = re.search(
        rf"(?:{pattern})\s+(?:(?:strax\s+(?:efter|före)|cirka|ca\.?|runt|omkring)\s+)?(?:klockan\s+|kl\.?\s*)?"
        rf"(?P<h>\d{{1,2}})[.:](?P<m>\d{{2}})",
        text,
        re.IGNORECASE,
    )
    if not match:
        return None
    hours, minutes = int(match.group("h")), int(match.group("m"))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _clock(text: str) -> time | None:
    hours, minutes = (int(x) for x in re.split(r"[.:]", text))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _agenda_items(title: str, blocks: Sequence[Block], vocab: Vocabulary) -> tuple[AgendaItem, ...]:
    """Headings of the summary, minus those about the meeting itself ('Om sammanträdet')."""
    items = []
    for block in blocks:
        heading = block.text.strip()
        if not block.is_heading or heading == title or heading.endswith(":"):
            continue
        if heading.lower().rstrip(" ?") in vocab.summary_non_item_headings:
            continue
        items.append(AgendaItem(heading, confidential="sekretess" in heading.lower()))
    return tuple(items)


def _held(
    title: str,
    blocks: Sequence[Block],
    evidence: YearEvidence,
    vocab: Vocabulary,
    skip: frozenset[int],
    title_is_stamp: bool,
) -> tuple[date | None, str | None, TimeRange | None]:
    """The meeting reported on, its year basis and its time.

    In order: a date in the title; a date the page reports as held ('som ägde
    rum 7 november') or states after 'Plats och tid' / 'Dag och tid'; a date in
    the opening lines (not the page's own date stamp, a next meeting or a
    deadline); the date of the meeting's protocol ('Styrelseprotokoll 2023-01-25').
    """
    title_block = Block("h1", title)
    opening = [(i, b) for i, b in enumerate(blocks[:SUMMARY_OPENING_BLOCKS]) if i not in skip]
    searches: list[list[tuple[Block, DateMention]]] = [
        [] if title_is_stamp else [(title_block, m) for m in find_dates(title, vocab)],
        [
            (b, m)
            for b in blocks
            for m in find_dates(b.text, vocab)
            if is_reported(b.text, m, vocab) or _after_held_label(b.text, m, vocab)
        ],
        [
            (b, m)
            for _, b in opening
            if not vocab.next_meeting.search(b.text)
            for m in meeting_mentions(b.text, vocab)
        ],
        [(b, m) for b in blocks if vocab.protocol_link.search(b.text) for m in find_dates(b.text, vocab)],
    ]
    for found in searches:
        for block, mention in found:
            day, basis = resolve_date(mention, block, evidence)
            return day, basis, _held_clock(day, [title_block, *blocks], evidence, vocab)
    return None, None, None


def _held_clock(
    day: date | None, blocks: Sequence[Block], evidence: YearEvidence, vocab: Vocabulary
) -> TimeRange | None:
    """The time written after a mention of the held day ('onsdag 20 november 2024 kl. 09.00-15.10')."""
    if day is None:
        return None
    for block in blocks:
        mentions = find_dates(block.text, vocab)
        for position, mention in enumerate(mentions):
            if resolve_date(mention, block, evidence)[0] != day:
                continue
            following = mentions[position + 1].start if position + 1 < len(mentions) else None
            if clock := time_after(block.text, mention, following, vocab):
                return clock
    return None


def _after_held_label(text: str, mention: DateMention, vocab: Vocabulary) -> bool:
    """'Plats och tid Folkets Hus, torsdagen den 9 juni 2016': the date a protocol or notice is for."""
    label = vocab.held_label.search(text[: mention.start])
    return label is not None and not find_dates(text[label.end() : mention.start], vocab)


def extract_summary(
    title: str,
    blocks: Sequence[Block],
    evidence: YearEvidence,
    vocab: Vocabulary,
    skip: frozenset[int] = frozenset(),
    *,
    title_is_stamp: bool = False,
) -> Summary:
    """Body, date, times, counts and items of a meeting summary ('... i korthet')."""
    text = "\n".join(b.text for b in blocks)
    opening = [Block("h1", title), *blocks[:SUMMARY_OPENING_BLOCKS]]
    body_match = next((m for b in opening if (m := vocab.body.search(b.text))), None)
    held, basis, held_clock = _held(title, blocks, evidence, vocab, skip, title_is_stamp)
    count = vocab.summary_item_count.search(text)
    confidential = vocab.summary_confidential.search(text)
    next_date = None
    for block in blocks:
        if vocab.next_meeting.search(block.text) and (found := find_dates(block.text, vocab)):
            next_date = _date_after(found[0], held) or resolve_date(found[0], block, evidence)[0]
            break
    span = vocab.summary_span.search(text)
    start = _clock_after(vocab.summary_start, text) or (_clock(span.group("start")) if span else None)
    end = _clock_after(vocab.summary_end, text) or (_clock(span.group("end")) if span else None)
    return Summary(
        body=body_match.group(1) if body_match else None,
        date=held,
        year_basis=basis,
        start=start or (held_clock.start if held_clock else None),
        end=end or (held_clock.end if held_clock else None),
        items=_agenda_items(title, blocks, vocab),
        item_count=vocab.count(count.group("count")) if count else None,
        confidential_item_count=vocab.count(confidential.group("count")) if confidential else None,
        next_meeting_date=next_date,
    )


def _date_after(mention: DateMention, reference: date | None) -> date | None:
    if mention.year is not None:
        return date(mention.year, mention.month, mention.day)
    if reference is None:
        return None
    return date(year_near(mention.month, mention.day, reference), mention.month, mention.day)


def next_meetings(
    blocks: Sequence[Block], summary: Summary, context: PageContext, vocab: Vocabulary, title: str = ""
) -> list[Meeting]:
    """The next meeting a summary names, as a scheduled meeting of the same body.

    Its activity comes from its own sentence and the summary's title
    ('Nästa sammanträde ...' is a committee's); it takes none of the summary's topics.
    """
    if summary.next_meeting_date is None:
        return []
    block = next(b for b in blocks if vocab.next_meeting.search(b.text) and find_dates(b.text, vocab))
    mention = find_dates(block.text, vocab)[0]
    place, address = find_venue_sentence(block.text, vocab, context.municipality)
    if place is None and address is None:
        place = find_room(block.text, vocab)
    clock = time_after(block.text, mention, None, vocab)
    title = f"{summary.body}, sammanträde" if summary.body else "Sammanträde"
    return [
        Meeting(
            id=meeting_id(context.url, summary.next_meeting_date, None, context.source_id),
            title=title,
            date=summary.next_meeting_date,
            month_day=None,
            year_basis="summary",
            start=clock.start if clock else None,
            end=clock.end if clock else None,
            place=place,
            address=address,
            attendance="in_person" if place or address else None,
            status=find_status(block.text, vocab),
            activity=classify_activity([block.text, summary.body, title], vocab),
        )
    ]
