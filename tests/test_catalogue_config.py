"""config/catalogue.yaml is checked on load, with the file and key named in every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.extract.vocabulary import ConfigError
from warehouse.catalogue.config import DEFAULT_CONFIG, load_catalogue_config


def write(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for key, value in changes.items():
        target, *rest = key.split("__")
        if rest:
            data[target][rest[0]] = value
        elif value is None:
            del data[target]
        else:
            data[target] = value
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_project_config_loads() -> None:
    config = load_catalogue_config()
    assert config.base_url.endswith("/") and config.releases_kept >= 1
    assert config.publisher_type_iri.startswith("http://purl.org/adms/publishertype/")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"base_url": "kommundialog.example/katalog/"},
            "base_url: 'kommundialog.example/katalog/' is not an absolute",
        ),
        ({"base_url": "https://kommundialog.example/katalog"}, "base_url: .* must end with '/'"),
        ({"publisher__iri": "urn:x"}, "publisher.iri: 'urn:x' is not an absolute http"),
        ({"publisher__type": "Kommun"}, "publisher.type: 'Kommun' is not one of"),
        ({"publisher__name": ""}, "publisher.name: missing or empty text"),
        ({"contact_email": "anna.svensson@kommun.se"}, "looks like a person's address"),
        ({"contact_email": "no-at-sign"}, "contact_email: 'no-at-sign' is not an e-mail address"),
        ({"releases_kept": 0}, "releases_kept: '0' is not a whole number of at least 1"),
        ({"releases_kept": "five"}, "releases_kept: 'five'"),
        ({"title": "Bara svenska"}, "title: expected a mapping with 'sv' and 'en'"),
        ({"licence": "CC-BY"}, "licence: unknown key"),
        ({"description": None}, "description: expected a mapping"),
    ],
)
def test_a_bad_value_is_named_with_file_and_key(tmp_path: Path, changes: dict, message: str) -> None:
    path = write(tmp_path, **changes)
    with pytest.raises(ConfigError, match=message) as error:
        load_catalogue_config(path)
    assert str(error.value).startswith(str(path))


def test_missing_and_malformed_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_catalogue_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_catalogue_config(broken)
