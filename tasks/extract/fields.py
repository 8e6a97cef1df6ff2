"""Per-field readers: place, attendance, status, topics, organiser, contacts, registration.

One small function per field, each working on plain strings or blocks, so a
wrong field is found and fixed in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from tasks.extract.dates import DateMention, find_dates
from tasks.extract.document import Block
from tasks.extract.vocabulary import Vocabulary, default_vocabulary
from tasks.records import Contact, Registration

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
# Swedish numbers: 0 or +46 / 0046, area code, then groups of two or three digits.
_PHONE = re.compile(
    r"(?<![\w+-])((?:\+46|0046)\s?\(?0?\)?\d{1,3}|0\d{1,3})[-–\s]?(\d{2,3}(?:[\s-]?\d{2,3}){1,3})(?![\w-])"
)
_CAPITALISED_RUN = re.compile(r"(?<!\w)(?:i|på)\s+((?:[A-ZÅÄÖ][\wåäöéü-]+)(?:\s+[A-ZÅÄÖ][\wåäöéü-]+)*)")
# A place value longer than this many words is a sentence to search, not a name.
MAX_PLACE_WORDS = 5
# A venue written before a street address may be longer ('Sammanträdesrum Tallen, plan 2, i kommunhuset').
MAX_VENUE_WORDS = 8
# How many blocks after a sign-up phrase may still list sign-up channels.
REGISTRATION_WINDOW = 8


def _strip_punctuation(text: str) -> str:
    return text.strip(" .,;:!?–-")


def find_street_address(
    text: str, vocab: Vocabulary, town: str | None
) -> tuple[str | None, tuple[int, int] | None]:
    """'Norra Strandgatan 8, våning 3' plus the town (from a postcode or the municipality)."""
    match = vocab.street.search(text)
    if not match:
        return None, None
    parts = [match.group("street").strip()]
    if match.group("floor"):
        parts.append(match.group("floor"))
    found_town = match.group("town") or match.group("bare_town") or town
    if found_town:
        parts.append(found_town)
    return ", ".join(parts), match.span()


def _venue_from_sentence(text: str, vocab: Vocabulary, street_span: tuple[int, int] | None) -> str | None:
    """The capitalised name after 'i'/'på', minus a genitive owner ('Helsingborgs lokaler')."""
    for match in _CAPITALISED_RUN.finditer(text):
        if street_span and match.start(1) < street_span[1] and match.end(1) > street_span[0]:
            continue
        tokens = match.group(1).split()
        following = text[match.end(1) :].split()
        if (
            len(tokens) > 1
            and following
            and following[0].lower() in vocab.premises_words
            and tokens[-1].endswith("s")
        ):
            tokens = tokens[:-1]
        return " ".join(tokens)
    return None


def parse_place_value(value: str, vocab: Vocabulary, town: str | None) -> tuple[str | None, str | None]:
    """Split a place value ('Oasen', or a sentence naming a venue and street) into place and address."""
    value, _online = strip_online_part(_strip_punctuation(value), vocab)
    if not value:
        return None, None
    address, span = find_street_address(value, vocab, town)
    words = value.split()
    if span is None and len(words) <= MAX_PLACE_WORDS and not find_dates(value, vocab):
        return value, None
    venue = _venue_from_sentence(value, vocab, span)
    if venue is None and span is not None and span[0] > 0:
        before = _strip_punctuation(value[: span[0]])
        venue = before if len(before.split()) <= MAX_VENUE_WORDS else None
    return (room_first_to_venue_first(venue, vocab) if venue else None), address


def room_first_to_venue_first(place: str, vocab: Vocabulary) -> str:
    """'samlingssalen på Strandgården' -> 'Strandgården, samlingssalen': venue first, as labels read."""
    match = re.match(r"^(?P<room>.+?)\s+på\s+(?P<venue>[A-ZÅÄÖ].*)$", place)
    if match and vocab.room.match(match.group("room")):
        return f"{match.group('venue')}, {match.group('room')}"
    return place


def find_venue_sentence(text: str, vocab: Vocabulary, town: str | None) -> tuple[str | None, str | None]:
    """'Mötena hålls kl. 13.00 i Stadshuset, sammanträdesrum Fyris, Stationsgatan 12': place and address."""
    for match in vocab.venue_sentence.finditer(text):
        place, address = read_venue_phrase(match.group("phrase"), vocab, town)
        if place or address:
            return place, address
    return None, None


def read_venue_phrase(phrase: str, vocab: Vocabulary, town: str | None) -> tuple[str | None, str | None]:
    """The venue at the start of a phrase after 'i'/'på': name, room and street, up to a stop word or date."""
    phrase = vocab.venue_stop.sub("", phrase.strip())
    dates = find_dates(phrase, vocab)
    if dates:
        phrase = phrase[: dates[0].start]
    phrase = re.sub(r"(?:[\s,]+(?:och|samt|eller))+\s*$", "", phrase.strip(" ,")).strip(" ,")
    if not phrase or not vocab.venue_start.match(phrase) or vocab.online.search(phrase):
        return None, None
    address, span = find_street_address(phrase, vocab, town)
    if span is not None:
        before = _strip_punctuation(phrase[: span[0]])
        venue = before if 0 < len(before.split()) <= MAX_VENUE_WORDS else None
    elif len(phrase.split()) <= MAX_PLACE_WORDS:
        venue = _strip_punctuation(phrase)
    else:
        venue = _leading_venue_parts(phrase, vocab)
    if venue or address:
        return (room_first_to_venue_first(venue, vocab) if venue else None), address
    return None, None


def _leading_venue_parts(phrase: str, vocab: Vocabulary) -> str | None:
    """'Stadshuset, i sammanträdesrum Ön, finns presidiet': the comma parts that name places, in order."""
    parts = []
    for part in phrase.split(","):
        part = re.sub(r"^\s*(?:i|på)\s+", "", part).strip()
        if not part or not vocab.venue_start.match(part) or len(part.split()) > MAX_PLACE_WORDS:
            break
        parts.append(part)
    venue = ", ".join(parts)
    return venue if parts and len(venue.split()) <= MAX_VENUE_WORDS else None


# A clock time right after a date, before the venue ('tisdag 16 februari klockan 18.30-20.30 i Hemgården').
_LEADING_TIME = re.compile(
    r"^\s*,?\s*(?:(?:kl\.?|klockan)\s*)?\d{1,2}(?:[.:]\d{2})?(?:\s*[-–—]\s*\d{1,2}(?:[.:]\d{2})?)?",
    re.IGNORECASE,
)
_VENUE_PREPOSITION = re.compile(r"(?<!\w)(?:i|på)\s+")


def find_venue_by_date(
    text: str,
    mention: DateMention,
    next_start: int | None,
    previous_end: int,
    vocab: Vocabulary,
    town: str | None,
) -> tuple[str | None, str | None]:
    """A venue written next to the date: 'den 20 augusti i Eskilstuna', 'möte på Folkets hus tisdag 16 maj'."""
    after = text[mention.end : next_start if next_start is not None else len(text)]
    untimed = _LEADING_TIME.sub("", after, count=1)
    separator = r"^\s*[,–—-]?\s*" if untimed != after else r"^\s*[,–—-]\s*"
    after = untimed
    if (match := re.match(r"^\s*,?\s*(?:i|på)\s+", after)) is not None:
        place, address = read_venue_phrase(re.split(r"[.;!?](?:\s|$)", after[match.end() :])[0], vocab, town)
        if place or address:
            return place, address
    if (match := re.match(separator, after)) is not None:
        # 'Tisdag 12 mars, kl 18-20, Folkets hus', '12 mars 13.30-15.30 Stadshuset': a venue after the
        # date and time of a list entry, if it reads as one
        phrase = re.split(r"[.;!?](?:\s|$)", after[match.end() :])[0]
        if vocab.venue_word.search(phrase) or vocab.street.search(phrase):
            place, address = read_venue_phrase(phrase, vocab, town)
            if place or address:
                return place, address
    before = text[previous_end : mention.start]
    prepositions = list(_VENUE_PREPOSITION.finditer(before))
    if prepositions and _names_only_a_venue(before[prepositions[-1].end() :], vocab):
        return read_venue_phrase(before[prepositions[-1].end() :], vocab, town)
    return None, None


def find_named_venue(text: str, vocab: Vocabulary, town: str | None) -> tuple[str | None, str | None]:
    """'... sitta på läktaren i Sessionssalen, Stadshuset': a venue word after 'i'/'på' in a paragraph about meetings."""
    for match in _VENUE_PREPOSITION.finditer(text):
        phrase = re.split(r"[.;!?](?:\s|$)", text[match.end() :])[0]
        first = phrase.split()[0].strip(",") if phrase.split() else ""
        if first[:1].isupper() and vocab.venue_word.fullmatch(first):
            place, address = read_venue_phrase(phrase, vocab, town)
            if place or address:
                return place, address
    return None, None


# A venue named right before a date has at most this many words ('på Ekby Folkets hus tisdag 16 maj').
VENUE_BEFORE_DATE_MAX_WORDS = 4


def _names_only_a_venue(phrase: str, vocab: Vocabulary) -> bool:
    """Only names and venue words up to the date: 'Ekby Folkets Hus', not 'Alfta stängs av för arbete'."""
    words = phrase.strip(" ,").split()
    return 0 < len(words) <= VENUE_BEFORE_DATE_MAX_WORDS and all(
        w[0].isupper() or vocab.venue_word.fullmatch(w.strip(",")) for w in words
    )


def strip_online_part(place: str | None, vocab: Vocabulary) -> tuple[str | None, bool]:
    """'Kommunhuset, sal Bolmen, och via Teams' -> ('Kommunhuset, sal Bolmen', True); online only -> (None, True)."""
    if not place:
        return place, False
    match = vocab.online.search(place)
    if not match:
        return place, False
    kept = re.sub(r"(?:[,\s]|\boch\b|\bsamt\b|\bvia\b|\beller\b)+$", "", place[: match.start()]).strip()
    return (kept or None), True


def find_inline_labelled_place(
    text: str, vocab: Vocabulary, town: str | None
) -> tuple[str | None, str | None]:
    """'Plats: Lövsalen' inside a line: a table cell or 'samma tid och plats: Medborgarhuset i Ed'."""
    for cell in text.split(" | "):
        match = vocab.place_label_inline.search(cell)
        if match:
            value = re.split(r"\.\s|\.$", cell[match.end() :], maxsplit=1)[0]
            if value.strip():
                return parse_place_value(value, vocab, town)
    return None, None


def find_labelled_place(
    blocks: Sequence[Block], vocab: Vocabulary, town: str | None
) -> tuple[str | None, str | None]:
    """Place from a label ('Var? Oasen', 'Plats: ...'), the value on the same or the next line."""
    for index, block in enumerate(blocks):
        match = vocab.place_label.match(block.text)
        if not match:
            continue
        value = block.text[match.end() :]
        if not value.strip() and index + 1 < len(blocks):
            value = blocks[index + 1].text
        place, address = parse_place_value(value, vocab, town)
        if place or address:
            return place, address
    return None, None


def find_place_in_headings(headings: Sequence[str], vocab: Vocabulary) -> str | None:
    """'Dialogmöte i Oasen': a venue named in a heading next to a dialogue word."""
    for heading in headings:
        if vocab.dialogue.search(heading):
            venue = _venue_from_sentence(heading, vocab, None)
            if venue:
                return venue
    return None


def find_room(text: str, vocab: Vocabulary) -> str | None:
    """'det nya sammanträdesrummet på plan 4' -> 'Nya sammanträdesrummet, plan 4'."""
    match = vocab.room.search(text)
    if not match:
        return None
    room = match.group("room")
    place = room[0].upper() + room[1:]
    return f"{place}, {match.group('floor')}" if match.group("floor") else place


def find_attendance(has_place: bool, text: str, vocab: Vocabulary) -> str | None:
    """in_person, online or hybrid from a physical place and online words."""
    online = any(not vocab.negation_after.match(text[match.end() :]) for match in vocab.online.finditer(text))
    if has_place and online:
        return "hybrid"
    if online:
        return "online"
    if has_place:
        return "in_person"
    return None


def find_status(text: str, vocab: Vocabulary) -> str:
    """cancelled / postponed / scheduled from the words around one meeting."""
    if vocab.cancelled.search(text):
        return "cancelled"
    if vocab.postponed.search(text):
        return "postponed"
    return "scheduled"


def mentions_cancellation(text: str, vocab: Vocabulary) -> bool:
    return vocab.cancelled.search(text) is not None


def find_topics(text: str, vocab: Vocabulary) -> tuple[str, ...]:
    """Topic ids from the controlled vocabulary, in vocabulary order."""
    return tuple(topic.id for topic in vocab.topics if topic.pattern.search(text))


def find_organiser(texts: Sequence[str], vocab: Vocabulary) -> str | None:
    """The first organising unit named ('socialtjänsten' -> 'Socialtjänsten')."""
    for text in texts:
        match = vocab.organisers.search(text)
        if match:
            name = match.group(1).lower()
            return name[0].upper() + name[1:]
    return None


def is_functional_mailbox(address: str) -> bool:
    """ifo@ and socialtjansten@ are mailboxes; firstname.lastname@ (or _ or -) is a person.

    'annasvensson@' cannot be told from a mailbox by its form and counts as one.
    """
    local = address.split("@", 1)[0]
    return not re.fullmatch(r"[a-zåäöéü]{2,}(?:[._-][a-zåäöéü]{2,})+\d*", local, re.IGNORECASE)


def is_switchboard(number: str) -> bool:
    """Switchboards end in thousands (0930-140 00, 042-10 50 00); mobiles (07x) never are."""
    digits = re.sub(r"\D", "", number)
    return not digits.startswith("07") and digits.endswith("000")


def find_contacts(text: str) -> tuple[Contact, ...]:
    """Every e-mail address and phone number, marked functional or personal."""
    contacts: list[Contact] = []
    seen: set[str] = set()
    for match in _EMAIL.finditer(text):
        address = match.group(1).rstrip(".").lower()
        if address not in seen:
            seen.add(address)
            contacts.append(Contact("email", address, is_functional_mailbox(address)))
    for match in _PHONE.finditer(text):
        number = f"{match.group(1)}-{match.group(2)}"
        if number not in seen:
            seen.add(number)
            contacts.append(Contact("phone", number, is_switchboard(number)))
    return tuple(contacts)


# A title line under a name ('Socialnämndens ordförande') has at most this many words.
ROLE_LINE_MAX_WORDS = 4


def find_person_names(lines: Sequence[str], vocab: Vocabulary) -> tuple[Contact, ...]:
    """Officials' names next to a job title: personal data, never functional.

    'Enhetschef Sofia Lund presenterade ...', 'Anna Lindqvist, nämndsekreterare',
    and a name alone on the line above its title ('Monica Holtstad' / 'Socialnämndens ordförande').
    """
    names: list[str] = []
    for index, line in enumerate(lines):
        found = [m.group("name") for m in vocab.name_after_role.finditer(line)]
        for match in vocab.name_before_verb.finditer(line):
            found.extend(n for n in (match.group("first"), match.group("second")) if n)
        for match in vocab.name_before_role.finditer(line):
            if match.group("name"):
                found.append(match.group("name"))
            elif index + 1 < len(lines) and _is_role_line(lines[index + 1], vocab):
                found.append(match.group("alone"))
        for name in found:
            first, _, rest = name.partition(" ")
            name = rest if vocab.role.fullmatch(first) and " " in rest else name
            if name not in names:
                names.append(name)
    return tuple(Contact("name", name, False) for name in names)


def _is_role_line(line: str, vocab: Vocabulary) -> bool:
    return len(line.split()) <= ROLE_LINE_MAX_WORDS and vocab.role.search(line) is not None


def find_deadline(texts: Sequence[str], vocab: Vocabulary) -> DateMention | None:
    """The date after 'senast' / 'sista anmälningsdag' in the sign-up lines."""
    for text in texts:
        for match in vocab.registration_deadline.finditer(text):
            mentions = find_dates(text[match.end() : match.end() + 40], vocab)
            if mentions and mentions[0].start == 0:
                return mentions[0]
    return None


def find_registration(
    blocks: Sequence[Block], vocab: Vocabulary, resolve: Callable[[DateMention, Block], date | None]
) -> Registration | None:
    """Sign-up channels named near a sign-up phrase, its mailbox and deadline.

    `resolve` turns a year-less deadline into a date with the page's year evidence.
    """
    for index, block in enumerate(blocks):
        if not vocab.registration.search(block.text):
            continue
        window = [b.text for b in blocks[index : index + REGISTRATION_WINDOW]]
        channels = tuple(
            name
            for name, pattern in vocab.registration_channels.items()
            if any(pattern.search(text) for text in window)
        )
        if not channels:
            continue
        mailboxes = [c.value for c in find_contacts("\n".join(window)) if c.kind == "email" and c.functional]
        deadline = find_deadline(window, vocab)
        return Registration(
            channels=channels,
            mailbox=mailboxes[0] if mailboxes else None,
            deadline=resolve(deadline, block) if deadline else None,
        )
    return None


def redact_personal_contacts(text: str | None, vocab: Vocabulary | None = None) -> str | None:
    """Remove personal e-mail addresses, direct phone numbers and officials' names; keep mailboxes and switchboards.

    Names are recognised next to a job title or a reporting verb ('med enhetschef Sofia Lund');
    a bare name without such context cannot be told from a place or a project name.
    """
    if not text:
        return text
    vocab = vocab or default_vocabulary()
    for contact in (*find_contacts(text), *find_person_names([text], vocab)):
        if not contact.functional:
            pattern = _phone_pattern(contact.value) if contact.kind == "phone" else re.escape(contact.value)
            text = re.sub(pattern, "[borttaget]", text, flags=re.IGNORECASE)
    return text


def _phone_pattern(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return r"\+?" + r"[-–\s()]?".join(re.escape(d) for d in digits)
