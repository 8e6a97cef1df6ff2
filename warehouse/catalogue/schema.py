"""The published tables, column by column: one definition feeds CSV, Parquet, Table Schema and the dictionary.

Keeping names, types, constraints and descriptions in one place means the
data dictionary, datapackage.json and the files themselves cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.records import ACTIVITIES, ATTENDANCE_MODES, DIALOGUE_ACTIVITIES, STATUSES

MUNICIPALITY_CODE = r"^[0-9]{4}$"
CLOCK_FORMAT = "%H:%M"


@dataclass(frozen=True)
class Column:
    """One published column. `type` is a Table Schema type; `list` columns hold topic ids."""

    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    free_text: bool = False  # scraped prose: personal contacts are removed before publishing

    def table_schema(self) -> dict[str, Any]:
        """This column as a Frictionless Table Schema field."""
        spec: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description}
        if self.type == "time":
            spec["format"] = CLOCK_FORMAT
        if self.type == "list":
            spec["delimiter"] = ";"
            spec["itemType"] = "string"
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if constraints:
            spec["constraints"] = constraints
        return spec


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    table_column: str


@dataclass(frozen=True)
class Table:
    """A published dataset: its file stem, titles, columns and keys."""

    name: str
    title_sv: str
    title_en: str
    description_sv: str
    description_en: str
    columns: tuple[Column, ...]
    primary_key: str
    foreign_keys: tuple[ForeignKey, ...] = ()
    keywords: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _text(name: str, description: str, **kwargs: Any) -> Column:
    return Column(name, "string", description, free_text=True, **kwargs)


_MUNICIPALITY = Column("municipality", "string", "Municipality name (kommun).", required=True)
_MUNICIPALITY_CODE = Column(
    "municipality_code",
    "string",
    "SCB municipality code (kommunkod), 4 digits; refers to municipalities.",
    required=True,
    pattern=MUNICIPALITY_CODE,
)
_PAGE_URL = Column("page_url", "string", "Address of the municipal page the record was read from.", True)
_SOURCE_ID = Column("source_id", "string", "Id of the source (crawled site) in the project's registry.", True)
_YEAR_BASIS = Column(
    "year_basis", "string", "How the year of the date was found (stated on the page, publication date, ...)."
)
_FIRST_SEEN = Column(
    "first_seen_at", "datetime", "When the record was first collected (UTC, ISO 8601).", required=True
)

MEETINGS = Table(
    name="meetings",
    title_sv="Möten",
    title_en="Meetings",
    description_sv=(
        "Medborgardialoger, dialogmöten, öppna utvecklingsgrupper, råd, nämndsammanträden och "
        "informationsmöten som kommunerna annonserar: aktivitet, datum, tid, plats, deltagandeform, "
        "status och ämnen."
    ),
    description_en=(
        "Citizen dialogues, dialogue meetings, open development groups, councils, committee meetings and "
        "information meetings the municipalities announce: activity, date, time, place, attendance mode, "
        "status and topics."
    ),
    columns=(
        Column(
            "meeting_id",
            "string",
            "Id of the meeting: 'm-' and 16 hex digits of the source, the page's path and the day.",
            required=True,
            unique=True,
            pattern=r"^m-[0-9a-f]{16}$",
        ),
        Column(
            "uid",
            "string",
            "Calendar UID (iCalendar UID in meetings.ics); kept when a meeting is retitled, moved "
            "or cancelled, and when it is rescheduled to another day on the same page.",
            required=True,
            unique=True,
        ),
        Column(
            "revision",
            "integer",
            "0 when first published, +1 each time a published field changes (iCalendar SEQUENCE).",
            required=True,
            minimum=0,
        ),
        _MUNICIPALITY,
        _MUNICIPALITY_CODE,
        _text("title", "Title of the meeting or of the page announcing it."),
        Column(
            "activity",
            "string",
            "Kind of activity, from the page's own words: dialogue (citizen dialogue, dialogue meeting, "
            "café, open development group), council (advisory councils), committee (nämnd, utskott, "
            "fullmäktige, styrelse), information (information meetings, evenings for relatives or "
            "parents) or other. Dialogue activity counts and charts count "
            + " and ".join(DIALOGUE_ACTIVITIES)
            + ".",
            required=True,
            enum=ACTIVITIES,
        ),
        Column("date", "date", "Day of the meeting (ISO 8601), empty when the page gives no year."),
        Column(
            "month_day",
            "string",
            "Month and day (MM-DD) when the page names a day but no year could be inferred.",
            pattern=r"^[0-9]{2}-[0-9]{2}$",
        ),
        Column("start", "time", "Start time, local time in Sweden (HH:MM)."),
        Column("end", "time", "End time, local time in Sweden (HH:MM)."),
        _text("place", "Venue or room."),
        _text("address", "Street address of the venue."),
        Column(
            "attendance",
            "string",
            "in_person, online or hybrid; empty when the page does not say.",
            enum=ATTENDANCE_MODES,
        ),
        Column(
            "status",
            "string",
            "scheduled, cancelled or postponed. Cancelled meetings stay in the data.",
            required=True,
            enum=STATUSES,
        ),
        Column(
            "topics",
            "list",
            "Topic ids from the project's topic vocabulary (config/topics.yaml); ';' between ids in CSV.",
        ),
        _text("theme", "Theme or subject of the meeting as the page words it."),
        _text("organiser", "Organising unit (for example Socialtjänsten); never a person."),
        Column("start_at", "datetime", "Start as an ISO 8601 date-time with the Swedish UTC offset."),
        Column("end_at", "datetime", "End as an ISO 8601 date-time with the Swedish UTC offset."),
        Column(
            "previous_date",
            "date",
            "The meeting's day before its latest reschedule seen by the publisher, if any.",
        ),
        _PAGE_URL,
        _SOURCE_ID,
        _YEAR_BASIS,
        _FIRST_SEEN,
        Column(
            "revised_at",
            "datetime",
            "When the current revision was first published (UTC, ISO 8601).",
            required=True,
        ),
    ),
    primary_key="meeting_id",
    foreign_keys=(ForeignKey("municipality_code", "municipalities", "municipality_code"),),
    keywords=("medborgardialog", "dialogmöte", "socialtjänst", "kommun"),
)

SUMMARIES = Table(
    name="summaries",
    title_sv="Sammanfattningar av nämndsammanträden",
    title_en="Committee meeting summaries",
    description_sv=(
        "Sammanfattningar som kommunerna publicerar efter nämndsammanträden ('... i korthet'): "
        "nämnd, datum, tider, antal ärenden, antal sekretessärenden och nästa sammanträde."
    ),
    description_en=(
        "Summaries the municipalities publish after committee meetings ('... in brief'): body, "
        "date, times, number of items, number of confidential items and the next meeting."
    ),
    columns=(
        Column(
            "summary_id",
            "string",
            "Id of the summary: 's-' and 16 hex digits of the source and the page's path.",
            required=True,
            unique=True,
            pattern=r"^s-[0-9a-f]{16}$",
        ),
        _MUNICIPALITY,
        _MUNICIPALITY_CODE,
        _text("body", "The committee or body that met (for example Socialnämnden)."),
        Column("date", "date", "Day of the meeting (ISO 8601)."),
        Column("start", "time", "Start time, local time in Sweden (HH:MM)."),
        Column("end", "time", "End time, local time in Sweden (HH:MM)."),
        Column("item_count", "integer", "Number of items handled, as the summary states it.", minimum=0),
        Column(
            "confidential_item_count",
            "integer",
            "Number of those items covered by secrecy, as the summary states it.",
            minimum=0,
        ),
        Column("next_meeting_date", "date", "Day of the next meeting, when the summary names it."),
        _PAGE_URL,
        _SOURCE_ID,
        _YEAR_BASIS,
        _FIRST_SEEN,
    ),
    primary_key="summary_id",
    foreign_keys=(ForeignKey("municipality_code", "municipalities", "municipality_code"),),
    keywords=("socialnämnd", "sammanträde", "protokoll", "kommun"),
)

AGENDA_ITEMS = Table(
    name="agenda_items",
    title_sv="Ärenden och informationspunkter",
    title_en="Agenda items",
    description_sv="De ärenden och informationspunkter som en sammanfattning räknar upp, i sidans ordning.",
    description_en="The items and information points a summary lists, in the page's order.",
    columns=(
        Column(
            "agenda_item_id",
            "string",
            "Id of the item: the summary id and the item's position.",
            required=True,
            unique=True,
            pattern=r"^s-[0-9a-f]{16}-[0-9]{2,}$",
        ),
        Column("summary_id", "string", "The summary listing the item; refers to summaries.", required=True),
        _MUNICIPALITY_CODE,
        Column("date", "date", "Day of the meeting the item was handled at (ISO 8601)."),
        Column(
            "position", "integer", "Position of the item in the summary, from 1.", required=True, minimum=1
        ),
        _text("title", "Title of the item.", required=True),
        Column("confidential", "boolean", "Whether the page marks the item as covered by secrecy.", True),
    ),
    primary_key="agenda_item_id",
    foreign_keys=(
        ForeignKey("summary_id", "summaries", "summary_id"),
        ForeignKey("municipality_code", "municipalities", "municipality_code"),
    ),
    keywords=("ärenden", "dagordning", "nämnd"),
)

MUNICIPALITIES = Table(
    name="municipalities",
    title_sv="Kommuner",
    title_en="Municipalities",
    description_sv="Kommunerna vars webbplatser samlas in, med antal möten och sammanfattningar.",
    description_en="The municipalities whose web sites are collected, with counts of meetings and summaries.",
    columns=(
        Column(
            "municipality_code",
            "string",
            "SCB municipality code (kommunkod), 4 digits.",
            required=True,
            unique=True,
            pattern=MUNICIPALITY_CODE,
        ),
        Column("municipality", "string", "Municipality name.", required=True),
        Column(
            "meetings",
            "integer",
            "Number of meetings published for the municipality, every activity.",
            True,
            minimum=0,
        ),
        Column(
            "dialogue_meetings",
            "integer",
            "Of those, dialogue activity: meetings whose activity is "
            + " or ".join(DIALOGUE_ACTIVITIES)
            + ".",
            True,
            minimum=0,
        ),
        Column(
            "summaries", "integer", "Number of summaries published for the municipality.", True, minimum=0
        ),
        Column(
            "invitations",
            "integer",
            "Number of open invitations published for the municipality.",
            True,
            minimum=0,
        ),
        Column("page_url", "string", "The municipality's page in this catalogue.", required=True),
        Column("calendar_url", "string", "The municipality's calendar (iCalendar) in this catalogue.", True),
    ),
    primary_key="municipality_code",
    keywords=("kommun", "kommunkod"),
)

INVITATIONS = Table(
    name="invitations",
    title_sv="Öppna inbjudningar",
    title_en="Open invitations",
    description_sv=(
        "Inbjudningar att delta eller anmäla intresse som ännu inte har ett datum (till exempel en "
        "dialog man anmäler sig till): kommun, rubrik, ämnen, sätt att anmäla sig, funktionsbrevlåda, "
        "sista anmälningsdag och sidan. Inga personuppgifter."
    ),
    description_en=(
        "Invitations to take part or register interest that have no date yet (for example a dialogue "
        "you sign up for): municipality, title, topics, sign-up channels, functional mailbox, deadline "
        "and page. No personal data."
    ),
    columns=(
        Column(
            "invitation_id",
            "string",
            "Id of the invitation: 'i-' and 16 hex digits of the page address.",
            required=True,
            unique=True,
            pattern=r"^i-[0-9a-f]{16}$",
        ),
        _MUNICIPALITY,
        _MUNICIPALITY_CODE,
        _text("title", "Title of the page that invites."),
        Column(
            "topics",
            "list",
            "Topic ids from the project's topic vocabulary (config/topics.yaml); ';' between ids in CSV.",
        ),
        Column(
            "channels",
            "list",
            "How to sign up or register interest (e_service, phone, sms, email, form, ...); "
            "';' between channels in CSV.",
        ),
        Column(
            "mailbox",
            "string",
            "Functional mailbox to write to (for example socialtjansten@...); never a personal address.",
        ),
        Column("deadline", "date", "Last day to sign up, when the page names one (ISO 8601)."),
        Column("published", "date", "Publication date of the page (ISO 8601)."),
        _PAGE_URL,
        _SOURCE_ID,
        _FIRST_SEEN,
    ),
    primary_key="invitation_id",
    foreign_keys=(ForeignKey("municipality_code", "municipalities", "municipality_code"),),
    keywords=("inbjudan", "medborgardialog", "anmälan", "kommun"),
)

TABLES: tuple[Table, ...] = (MEETINGS, SUMMARIES, AGENDA_ITEMS, INVITATIONS, MUNICIPALITIES)
# Fields whose change makes a new revision of a meeting (and a new calendar SEQUENCE).
TRACKED_MEETING_FIELDS = (
    "title",
    "date",
    "month_day",
    "start",
    "end",
    "place",
    "address",
    "attendance",
    "status",
    "topics",
    "theme",
    "organiser",
    "activity",
)
