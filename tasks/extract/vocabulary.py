"""Swedish vocabulary and CMS profiles, read from config/ into typed, compiled form.

The words live in `config/vocabulary.yaml`, `config/topics.yaml` and
`config/profiles.yaml`; this module only compiles them, once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tasks.records import ACTIVITIES

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


# 'Anna Lindqvist', 'Eva Berg-Holm': two or three capitalised words.
PERSON_NAME = (
    r"[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?(?:\s[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?){1,2}"
)


class ConfigError(ValueError):
    """A configuration file is missing, malformed or names an unknown key."""


def _alternation(patterns: list[str]) -> str:
    """Join regex fragments, longest first, so 'tisdagen' wins over 'tis'."""
    return "|".join(sorted(patterns, key=len, reverse=True))


def _word_regex(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_alternation(patterns)})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Topic:
    id: str
    label_sv: str
    label_en: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Compiled Swedish vocabulary used by every extraction step."""

    months: dict[str, int]
    weekdays: dict[str, int]
    seasons: dict[str, tuple[int, int]]
    month_pattern: str
    weekday_pattern: str
    season_pattern: str
    time_prefix_pattern: str
    page_metadata: re.Pattern[str]
    past_decision: re.Pattern[str]
    cancelled: re.Pattern[str]
    postponed: re.Pattern[str]
    new_date: re.Pattern[str]
    not_status: re.Pattern[str]
    dialogue: re.Pattern[str]
    strong_dialogue: re.Pattern[str]
    stamp: re.Pattern[str]
    same_time: re.Pattern[str]
    same_place: re.Pattern[str]
    negation_after: re.Pattern[str]
    place_label_inline: re.Pattern[str]
    registration: re.Pattern[str]
    registration_channels: dict[str, re.Pattern[str]]
    registration_deadline: re.Pattern[str]
    summary_title: re.Pattern[str]
    summary_start: str
    summary_end: str
    summary_item_count: re.Pattern[str]
    summary_confidential: re.Pattern[str]
    summary_span: re.Pattern[str]
    number_words: dict[str, int]
    document_link: re.Pattern[str]
    venue_stop: re.Pattern[str]
    next_meeting: re.Pattern[str]
    summary_non_item_headings: tuple[str, ...]
    body: re.Pattern[str]
    organisers: re.Pattern[str]
    place_label: re.Pattern[str]
    name_after_role: re.Pattern[str]
    role: re.Pattern[str]
    name_before_verb: re.Pattern[str]
    name_before_role: re.Pattern[str]
    time_label: re.Pattern[str]
    street: re.Pattern[str]
    room: re.Pattern[str]
    premises_words: tuple[str, ...]
    venue_sentence: re.Pattern[str]
    venue_start: re.Pattern[str]
    online: re.Pattern[str]
    topics: tuple[Topic, ...]
    meeting_evidence: re.Pattern[str]
    section_evidence: re.Pattern[str]
    report: re.Pattern[str]
    held_label: re.Pattern[str]
    protocol_link: re.Pattern[str]
    activities: tuple[tuple[str, re.Pattern[str]], ...]
    start_verbs: re.Pattern[str]
    meeting_nouns: re.Pattern[str]
    closure: re.Pattern[str]
    venue_word: re.Pattern[str]
    document_word: re.Pattern[str]

    def count(self, text: str) -> int | None:
        """'25' or 'nio' as a number."""
        return int(text) if text.isdigit() else self.number_words.get(text.lower())

    def month_number(self, word: str) -> int | None:
        return self.months.get(word.lower().rstrip("."))

    def weekday_number(self, word: str) -> int | None:
        """Map 'Tisdagen', 'tis', 'tisdagar' to 1 by longest known stem."""
        lowered = word.lower().rstrip(".")
        for stem in sorted(self.weekdays, key=len, reverse=True):
            if lowered.startswith(stem):
                return self.weekdays[stem]
        return None

    def topic_label(self, topic_id: str, lang: str = "sv") -> str:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic.label_sv if lang == "sv" else topic.label_en
        raise KeyError(topic_id)


def _with_numbers(pattern: str, numbers: dict[str, int]) -> str:
    """Put the number words ('nio', 'sex') where a pattern says NUMBER."""
    return pattern.replace("NUMBER", _alternation([re.escape(w) for w in numbers]))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _require(data: dict[str, Any], key: str, path: Path) -> Any:
    if key not in data:
        raise ConfigError(f"{path}: missing key '{key}'")
    return data[key]


def _compile_topics(path: Path) -> tuple[Topic, ...]:
    data = _read_yaml(path)
    topics = []
    for topic_id, entry in _require(data, "topics", path).items():
        for key in ("label_sv", "label_en", "keywords"):
            if key not in entry:
                raise ConfigError(f"{path}: topic '{topic_id}': missing '{key}'")
        keywords = [re.escape(k) for k in entry["keywords"]]
        topics.append(Topic(topic_id, entry["label_sv"], entry["label_en"], _word_regex(keywords)))
    return tuple(topics)


def _compile_activities(data: Any, path: Path) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Activity names with their word patterns, in the order the file gives them."""
    known = set(ACTIVITIES)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 'activities' must map an activity to a list of patterns")
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown activities {sorted(unknown)}")
    return tuple((str(name), _word_regex(list(words))) for name, words in data.items())


def compile_vocabulary(vocabulary_path: Path, topics_path: Path) -> Vocabulary:
    """Build a Vocabulary from its two YAML files (validated, regexes compiled)."""
    data = _read_yaml(vocabulary_path)

    def req(key: str) -> Any:
        return _require(data, key, vocabulary_path)

    months = {str(k): int(v) for k, v in req("months").items()}
    weekdays = {str(k): int(v) for k, v in req("weekdays").items()}
    seasons = {str(k): (int(v[0]), int(v[1])) for k, v in req("seasons").items()}
    status = req("status")
    numbers = {str(k): int(v) for k, v in req("number_words").items()}
    streets = _alternation(req("street_suffixes"))
    floors = _alternation(req("floor_words"))
    street = re.compile(
        rf"(?P<street>(?:[A-ZÅÄÖ][\wåäöéü-]+\s)*[A-ZÅÄÖ][\wåäöéü-]*(?:{streets})\s\d+\s?[A-Za-z]?)"
        rf"(?:,?\s(?P<floor>(?:{floors})\s?\d+))?"
        r"(?:,?\s(?P<postcode>\d{3}\s?\d{2})\s(?P<town>[A-ZÅÄÖ][\wåäö]+)"
        r"|,\s(?P<bare_town>[A-ZÅÄÖ][\wåäö]+)(?=\s*[.;)]|\s*$))?"
    )
    return Vocabulary(
        months=months,
        weekdays=weekdays,
        seasons=seasons,
        month_pattern=_alternation([re.escape(m) for m in months]),
        weekday_pattern=_alternation([re.escape(w) for w in weekdays]),
        season_pattern=_alternation([re.escape(s) for s in seasons]),
        time_prefix_pattern=_alternation(req("time_prefixes")),
        page_metadata=re.compile(rf"^\W*(?:{_alternation(req('page_metadata_patterns'))})\b", re.IGNORECASE),
        past_decision=_word_regex(req("past_decision_patterns")),
        cancelled=_word_regex(status["cancelled"]),
        postponed=_word_regex(status["postponed"]),
        new_date=re.compile(rf"(?<!\w)(?:{_alternation(status['new_date'])})\s*(?:den\s+)?$", re.IGNORECASE),
        not_status=_word_regex(status["not_status"]),
        dialogue=_word_regex(req("dialogue_words")),
        strong_dialogue=_word_regex(req("strong_dialogue_words")),
        stamp=re.compile(
            rf"(?<!\w)(?:{_alternation(req('stamp_words'))})\s*(?:den\s*)?:?\s*$", re.IGNORECASE
        ),
        same_time=_word_regex(req("same_time_words")),
        same_place=_word_regex(req("same_place_words")),
        negation_after=re.compile(rf"^\s+(?:{_alternation(req('negations'))})(?!\w)", re.IGNORECASE),
        place_label_inline=re.compile(
            rf"(?<!\w)(?:{_alternation([w for w in req('place_labels') if w.endswith(':')])})\s*",
            re.IGNORECASE,
        ),
        registration=_word_regex(req("registration_words")),
        registration_deadline=re.compile(
            rf"(?<!\w)(?:{_alternation(req('registration_deadline_words'))})\s+", re.IGNORECASE
        ),
        registration_channels={
            name: _word_regex(words) for name, words in req("registration_channels").items()
        },
        summary_title=_word_regex(req("summary_title_patterns")),
        summary_start=_alternation(req("summary_start_patterns")),
        summary_end=_alternation(req("summary_end_patterns")),
        summary_item_count=re.compile(
            _with_numbers(req("summary_item_count_pattern"), numbers), re.IGNORECASE
        ),
        summary_confidential=re.compile(
            _with_numbers(req("summary_confidential_pattern"), numbers), re.IGNORECASE
        ),
        summary_span=re.compile(req("summary_span_pattern"), re.IGNORECASE),
        number_words=numbers,
        document_link=re.compile(req("document_link_pattern"), re.IGNORECASE),
        venue_stop=re.compile(
            rf"\s+(?:{_alternation(req('venue_stop_words'))})(?!\w).*$", re.IGNORECASE | re.DOTALL
        ),
        next_meeting=_word_regex(req("next_meeting_patterns")),
        summary_non_item_headings=tuple(h.lower() for h in req("summary_non_item_headings")),
        body=re.compile(
            rf"\b([A-ZÅÄÖ][\wåäö-]*(?:{_alternation(req('body_suffixes'))}))\b",
        ),
        organisers=re.compile(
            rf"(?<!\w)({_alternation([re.escape(o) for o in req('organisers')])})s?(?!\w)",
            re.IGNORECASE,
        ),
        name_after_role=re.compile(
            rf"(?<!\w)(?i:{_alternation(req('role_words'))})\s+(?P<name>{PERSON_NAME})(?!\w)"
        ),
        role=_word_regex(req("role_words")),
        name_before_verb=re.compile(
            rf"(?P<first>{PERSON_NAME})(?:\s+och\s+(?P<second>{PERSON_NAME}))?\s+"
            rf"(?:{_alternation(req('reporting_verbs'))})(?!\w)"
        ),
        name_before_role=re.compile(
            rf"(?:^|[:(]\s*|\.\s+|,\s+|\soch\s+)(?P<name>{PERSON_NAME}),\s+(?:[\w-]+\s+){{0,3}}"
            rf"(?i:{_alternation(req('role_words'))})(?!\w)"
            rf"|^(?P<alone>{PERSON_NAME})$"
        ),
        place_label=re.compile(rf"^\s*(?:{_alternation(req('place_labels'))})\s*", re.IGNORECASE),
        time_label=re.compile(rf"^\s*(?:{_alternation(req('time_labels'))})\s*", re.IGNORECASE),
        street=street,
        room=re.compile(
            rf"(?:(?:det|den)\s)?(?P<room>(?:(?:nya|stora|lilla|gamla)\s)?"
            rf"(?:{_alternation(req('room_words'))}))"
            rf"(?:\s(?:på|i)\s(?P<floor>(?:{floors})\s?\d+))?",
            re.IGNORECASE,
        ),
        premises_words=tuple(req("premises_words")),
        venue_sentence=re.compile(
            rf"(?<!\w)(?:{_alternation(req('meeting_verbs'))})(?!\w).{{0,80}}?\s(?:i|på)\s+"
            r"(?P<phrase>.+?)(?=\.\s+[A-ZÅÄÖ]|\.\s*$|[;!?]|\s\(|$)",
        ),
        venue_start=re.compile(
            rf"^(?:(?:{_alternation(req('venue_adjectives'))})\s+)?"
            rf"(?:[A-ZÅÄÖ]|(?:{_alternation(req('room_words'))})(?!\w)|\S*(?:{_alternation(req('venue_suffixes'))})(?!\w))",
        ),
        online=_word_regex(req("online_patterns")),
        topics=_compile_topics(topics_path),
        meeting_evidence=_word_regex(req("meeting_evidence_words")),
        section_evidence=_word_regex(req("section_evidence_words")),
        report=_word_regex(req("report_patterns")),
        held_label=_word_regex(req("held_labels")),
        protocol_link=re.compile(req("protocol_link_pattern"), re.IGNORECASE),
        activities=_compile_activities(req("activities"), vocabulary_path),
        start_verbs=_word_regex(req("start_verbs")),
        meeting_nouns=_word_regex(req("meeting_nouns")),
        closure=_word_regex(req("closure_patterns")),
        venue_word=re.compile(
            rf"(?<!\w)(?:\w*(?:{_alternation(req('venue_suffixes'))})|{_alternation(req('room_words'))})(?!\w)",
            re.IGNORECASE,
        ),
        document_word=_word_regex(req("document_words")),
    )


@cache
def default_vocabulary() -> Vocabulary:
    """The project's vocabulary from config/, compiled once per process."""
    return compile_vocabulary(CONFIG_DIR / "vocabulary.yaml", CONFIG_DIR / "topics.yaml")


@dataclass(frozen=True)
class Profile:
    """CSS selectors that find a CMS's main text, title and dates."""

    name: str
    content: tuple[str, ...]
    title: tuple[str, ...]
    drop: tuple[str, ...]
    published_meta: tuple[str, ...]


def load_profiles(path: Path) -> dict[str, Profile]:
    """Read CMS profiles; 'generic' must exist and is the fallback for the others."""
    data = _read_yaml(path)
    profiles: dict[str, Profile] = {}
    for name, entry in _require(data, "profiles", path).items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: profile '{name}': expected a mapping")
        unknown = set(entry) - {"content", "title", "drop", "published_meta"}
        if unknown:
            raise ConfigError(f"{path}: profile '{name}': unknown keys {sorted(unknown)}")
        profiles[name] = Profile(
            name=name,
            content=tuple(entry.get("content", ())),
            title=tuple(entry.get("title", ())),
            drop=tuple(entry.get("drop", ())),
            published_meta=tuple(entry.get("published_meta", ())),
        )
    if "generic" not in profiles:
        raise ConfigError(f"{path}: a 'generic' profile is required")
    return profiles


@cache
def default_profiles() -> dict[str, Profile]:
    return load_profiles(CONFIG_DIR / "profiles.yaml")
