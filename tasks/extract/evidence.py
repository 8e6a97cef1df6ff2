"""Whether a date on a page is a meeting: evidence around it, counter-evidence, and section labels.

Every date a page states is a candidate. It becomes a meeting on evidence in
its own sentence (a meeting noun or verb, a time, a place, a status word), in
the lines below a date that stands alone, or, for a date in a list or on a line
of its own, in the heading (or heading-like label line) it stands under. It is
rejected on counter-evidence: page stamps, deadlines, document dates, decisions
and events already past, and validity periods. None of this depends on what the
page is about; what kind of meeting it is, is a separate question (`activity`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from tasks.extract.dates import DateMention, find_dates, find_time_range
from tasks.extract.document import Block
from tasks.extract.vocabulary import Vocabulary

# A heading-like label line ('Nämndens möten 2018', 'Datum för träffar under 2025:') has at most this many words.
LABEL_MAX_WORDS = 8
# How far after a date a past-tense verb still dates that event ('Den 25 juni beslutade ...').
PAST_VERB_AFTER_CHARS = 30
# A date line with at most this many other words is a list entry or a stamp, not prose.
BARE_DATE_EXTRA_WORDS = 4
# A sentence ends at . ! ? ; before a capital letter or the end ('kl. 16.00' goes on).
_SENTENCE_END = re.compile(r"[.!?;](?=\s+[A-ZÅÄÖ]|\s*$)")
SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÅÄÖ])")


def sentences(text: str) -> list[str]:
    """The sentences of a line, not broken after abbreviations such as 'kl.' before a number."""
    return [s for s in SENTENCE_BREAK.split(text) if s.strip()]


_YEAR = re.compile(r"(?<![\d-])(?:19|20)\d{2}(?![\d-])")
_INFINITIVE = re.compile(r"(?<!\w)(?:att|som skulle)(?!\w)", re.IGNORECASE)


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of text around [start, end): from the last sentence end before it to the next after it."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def is_label_line(block: Block, vocab: Vocabulary) -> bool:
    """A short paragraph that works as a heading: a year or a colon, no sentence, no day-date."""
    if block.is_heading or block.tag not in ("p", "div", "dt"):
        return False
    text = block.text.strip()
    if not text or len(text.split()) > LABEL_MAX_WORDS or text.endswith((".", "!", "?")):
        return False
    if find_dates(text, vocab) or find_time_range(text, vocab):
        return False
    return bool(_YEAR.search(text)) or (
        text.endswith(":") and vocab.section_evidence.search(text) is not None
    )


def _list_lead_in(block: Block, vocab: Vocabulary) -> str | None:
    """The closing sentence of a paragraph that introduces a list ('... Under hösten 2025 träffas vi:')."""
    text = block.text.strip()
    if not text.endswith(":") or block.tag not in ("p", "div"):
        return None
    last = sentences(text)[-1]
    sentence = Block(block.tag, last, block.headings)
    return last if last != text and is_label_line(sentence, vocab) else None


def with_label_headings(blocks: Sequence[Block], vocab: Vocabulary) -> list[Block]:
    """Let a label line ('Regionstyrelsen 2024') head the blocks below it, as a real heading would.

    Its scope ends at the next real heading or the next label line.
    """
    labelled: list[Block] = []
    label: str | None = None
    headings_at_label: tuple[str, ...] = ()
    for block in blocks:
        if block.is_heading:
            label = None
            labelled.append(block)
            continue
        if is_label_line(block, vocab):
            label, headings_at_label = block.text, block.headings
            labelled.append(block)
            continue
        if (lead_in := _list_lead_in(block, vocab)) is not None:
            label, headings_at_label = lead_in, block.headings
            labelled.append(block)
            continue
        if label is not None and block.headings == headings_at_label:
            labelled.append(replace(block, headings=(*block.headings, label)))
        else:
            label = None
            labelled.append(block)
    return labelled


def is_bare_date_line(block: Block, mention: DateMention) -> bool:
    """A line that is a date and little else ('2026-01-09', '12 mars 2019 - Nyheter')."""
    rest = block.text[: mention.start] + block.text[mention.end :]
    return len(re.findall(r"[^\W\d_]+", rest)) <= BARE_DATE_EXTRA_WORDS


def opening_stamp_index(blocks: Sequence[Block], vocab: Vocabulary) -> int | None:
    """The page's own date line, when the first dated line is a full date standing alone.

    News pages open with '2024-03-16' or '12 mars 2019 - Kommun & politik' above
    or below the title: the publication date, not a meeting. A list of such lines
    is a schedule, so the line after it must not be another bare date, nor a time or place.
    """
    for index, block in enumerate(blocks):
        mentions = find_dates(block.text, vocab)
        if not mentions:
            continue
        mention = mentions[0]
        starts_line = not block.text[: mention.start].strip()
        if (
            len(mentions) > 1
            or mention.year is None
            or not starts_line
            or not is_bare_date_line(block, mention)
        ):
            return None
        if find_time_range(block.text, vocab):
            return None
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is not None and (
            find_dates(following.text, vocab)
            or find_time_range(following.text, vocab)
            or vocab.time_label.match(following.text)
            or vocab.place_label.match(following.text)
        ):
            return None
        return index
    return None


# A list of news headlines each ending in its date ('Ny tillsynsrapport 2024-05-09'): that many make a news list.
TEASER_LIST_MIN = 2
_TRAILING_NUMERIC_DATE = re.compile(r"(?:19|20)\d{2}-\d{2}-\d{2}\s*$")


def teaser_date_lines(blocks: Sequence[Block]) -> frozenset[int]:
    """List entries that are headlines ending in a numeric date: the dates of linked news items, not meetings."""
    found = [
        index
        for index, block in enumerate(blocks)
        if block.tag == "li"
        and _TRAILING_NUMERIC_DATE.search(block.text)
        and len(re.findall(r"[^\W\d_]+", block.text)) >= BARE_DATE_EXTRA_WORDS - 1
    ]
    return frozenset(found) if len(found) >= TEASER_LIST_MIN else frozenset()


def is_past_event(text: str, mention: DateMention, vocab: Vocabulary) -> bool:
    """A decision or event already past in the date's own clause ('Den 25 juni beslutade', 'hölls den 3 mars').

    A past verb before the date counts only without an 'att' between them:
    'har beslutat att ställa in sammanträdet den 30 mars' announces a meeting.
    """
    start, end = sentence_span(text, mention.start, mention.end)
    after = text[mention.end : min(end, mention.end + PAST_VERB_AFTER_CHARS)]
    if vocab.past_decision.search(after) or vocab.report.match(after.lstrip(" ,")):
        return True
    before = text[start : mention.start]
    verbs = list(vocab.past_decision.finditer(before)) + list(vocab.report.finditer(before))
    return any(not _INFINITIVE.search(before[verb.end() :]) for verb in verbs)


def is_not_a_meeting(text: str, mention: DateMention, vocab: Vocabulary) -> bool:
    """Counter-evidence in the date's sentence or line: a past event, a closure, a document's date."""
    if is_past_event(text, mention, vocab):
        return True
    start, end = sentence_span(text, mention.start, mention.end)
    if vocab.closure.search(text[start:end]):
        return True
    return is_bare_date_line(Block("p", text), mention) and vocab.document_word.search(text) is not None


def is_reported(text: str, mention: DateMention, vocab: Vocabulary) -> bool:
    """The date of a meeting the page reports as held ('som ägde rum 7 november', 'Igår, onsdag 15 mars, hölls')."""
    start, end = sentence_span(text, mention.start, mention.end)
    return vocab.report.search(text[start:end]) is not None


def sentence_has_evidence(text: str, mention: DateMention, vocab: Vocabulary) -> bool:
    """A meeting noun or verb in the date's own sentence."""
    start, end = sentence_span(text, mention.start, mention.end)
    return vocab.meeting_evidence.search(text[start:end]) is not None


def section_has_evidence(block: Block, vocab: Vocabulary) -> bool:
    """A meeting noun or a meeting body in a heading the block stands under."""
    return any(vocab.section_evidence.search(h) for h in block.headings)


# How many opening paragraphs count as the page's lead.
LEAD_BLOCKS = 3


def page_speaks_of_meetings(
    title: str, blocks: Sequence[Block], vocab: Vocabulary, skip: frozenset[int] = frozenset()
) -> bool:
    """A meeting word in the title, a heading, a heading-like line or the lead.

    A date with a time or a place but no meeting word of its own is a meeting
    only on such a page: 'Öppet hus lördag 8 juni kl 10-14' on a recycling
    centre's page is an event, not a meeting.
    """
    kept = [b for i, b in enumerate(blocks) if i not in skip]
    short = [b.text for b in kept if b.is_heading or len(b.text.split()) <= LABEL_MAX_WORDS]
    lead = [b.text for b in kept if not b.is_heading][:LEAD_BLOCKS]
    return any(
        vocab.dialogue.search(text) or vocab.meeting_nouns.search(text) for text in (title, *short, *lead)
    )
