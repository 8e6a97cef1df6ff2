"""One row per Swedish phrasing the vocabulary knows: add a word to config/*.yaml, add its row here."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.extract.dates import find_dates, find_time_range
from tasks.extract.fields import find_attendance, find_organiser, find_status, find_topics
from tasks.extract.vocabulary import ConfigError, compile_vocabulary, default_vocabulary

VOCAB = default_vocabulary()


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Mötet är inställt", "cancelled"),
        ("Dialogmötet ställs in", "cancelled"),
        ("Vi ställer in träffen", "cancelled"),
        ("Träffarna blev inställda", "cancelled"),
        ("Mötet är avlyst", "cancelled"),
        ("Mötet ställdes in på grund av sjukdom", "cancelled"),
        ("Mötet flyttas till 12 maj", "postponed"),
        ("Dialogen skjuts upp", "postponed"),
        ("Nytt datum meddelas senare", "postponed"),
        ("FULLT!", "scheduled"),
        ("Träffen är fullbokad – fullbokat", "scheduled"),
        ("12 maj (preliminärt)", "scheduled"),
    ],
)
def test_status_words(text: str, status: str) -> None:
    assert find_status(text, VOCAB) == status


@pytest.mark.parametrize(
    ("text", "attendance"),
    [
        ("Mötet hålls via Teams", "online"),
        ("Länk till Zoom skickas ut", "online"),
        ("Du kan delta digitalt via Webex", "online"),
        ("Mötet webbsänds", "online"),
        ("Sammanträdet kan följas på webben", "online"),
        ("Vi pratar om digitalt utanförskap", None),
    ],
)
def test_online_words(text: str, attendance: str | None) -> None:
    assert find_attendance(False, text, VOCAB) == attendance


@pytest.mark.parametrize(
    ("text", "day_month"),
    [
        ("1 jan", (1, 1)),
        ("3 febr.", None),
        ("3 feb.", (3, 2)),
        ("12 sept", (12, 9)),
        ("4 okt.", (4, 10)),
        ("tors. 12 nov", (12, 11)),
        ("lördagen den 8 juni", (8, 6)),
    ],
)
def test_month_and_weekday_forms(text: str, day_month: tuple[int, int] | None) -> None:
    found = [(m.day, m.month) for m in find_dates(text, VOCAB)]
    assert found == ([day_month] if day_month else [])


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("kl 18", (18, None)),
        ("klockan 18:00", (18, None)),
        ("kl. 18-20", (18, 20)),
        ("Tid: 14.00-16.30", (14, 16)),
    ],
)
def test_time_prefixes(text: str, hours: tuple[int, int | None]) -> None:
    found = find_time_range(text, VOCAB)
    assert (found.start.hour, found.end.hour if found.end else None) == hours


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("stöd till barn och unga", "children_young_people"),
        ("riskbruk och beroende", "addiction"),
        ("psykisk ohälsa", "mental_health"),
        ("våld i nära relationer", "violence_close_relationships"),
        ("hemtjänsten", "elderly_care"),
        ("personer med funktionsnedsättning", "disability"),
        ("ekonomiskt bistånd", "economic_support"),
        ("hemlöshet", "housing"),
        ("problematisk skolfrånvaro", "school_absence"),
        ("socialt stöd", "social_support"),
    ],
)
def test_topic_keywords(text: str, topic: str) -> None:
    assert topic in find_topics(text, VOCAB)


def test_topic_keywords_are_whole_words() -> None:
    assert find_topics("barn och ungas uppväxtvillkor, äldres och funktionsvarierades", VOCAB) == ()


@pytest.mark.parametrize(
    ("text", "organiser"),
    [
        ("dialogmöte med socialtjänsten", "Socialtjänsten"),
        ("socialförvaltningens satsning", "Socialförvaltningen"),
    ],
)
def test_organiser_words(text: str, organiser: str) -> None:
    assert find_organiser([text], VOCAB) == organiser


def test_vocabulary_file_errors_name_the_key(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[1] / "config"
    data = yaml.safe_load((source / "vocabulary.yaml").read_text(encoding="utf-8"))
    del data["months"]
    broken = tmp_path / "vocabulary.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="missing key 'months'"):
        compile_vocabulary(broken, source / "topics.yaml")
