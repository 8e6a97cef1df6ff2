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

from tasks.extract.dates import YearEvidence, parse_date_value, url_date_hints
from tasks.extract.document import Block, Document, build_document
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
from tasks.extract.vocabulary import Profile, Vocabulary, default_profiles, default_vocabulary
from tasks.records import PageContext, PageExtraction
from tasks.site_index import default_discovery_vocabulary, detect_cms

AUTO_PROFILE = "auto"  # the registry's 'profile: auto': read the CMS off the page

__all__ = ["EXTRACTOR_VERSION", "extract_page", "meeting_id"]

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
    if document.used_fallback:
        warnings += (f"{profile.name} content selectors matched nothing; read with the generic profile",)
    blocks = [b for b in document.blocks[:MAX_BLOCKS] if not vocab.page_metadata.match(b.text)]
    evidence = _year_evidence(document, context, published)
    title = document.title or ""
    text = "\n".join([title, *(b.text for b in blocks)])
    organiser = find_organiser([title, *(b.text for b in blocks)], vocab)
    topics = find_topics(text, vocab)
    contacts = find_contacts(text) + find_person_names([title, *(b.text for b in blocks)], vocab)

    summary = None
    if document.is_listing:
        return PageExtraction(url=context.url, title=document.title, kind="other", published=published)
    if vocab.summary_title.search(title):
        summary = extract_summary(title, blocks, evidence, vocab)
    if summary is not None:
        meetings = next_meetings(blocks, summary, context, vocab)
    elif _is_dialogue_page(title, blocks, vocab):
        meetings = find_meetings(title, blocks, evidence, context, vocab)
        meetings = merge_structured(meetings, document.events, title, context)
    else:
        meetings = []
    meetings = [replace(m, organiser=organiser, topics=m.topics if m.theme else topics) for m in meetings]
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
