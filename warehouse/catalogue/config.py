"""The catalogue's own metadata (config/catalogue.yaml), validated on load.

Everything here ends up in published files, so a bad value must stop the
publish with a message naming the file and the key, never reach dataportal.se.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tasks.extract.fields import is_functional_mailbox
from tasks.extract.vocabulary import CONFIG_DIR, ConfigError

DEFAULT_CONFIG = CONFIG_DIR / "catalogue.yaml"
ADMS_PUBLISHER_TYPES = "http://purl.org/adms/publishertype/"
# The ADMS publisher-type concepts and their labels (skos:prefLabel in the catalogue).
PUBLISHER_TYPES = {
    "Academia-ScientificOrganisation": "Academia/Scientific organisation",
    "Company": "Company",
    "IndustryConsortium": "Industry consortium",
    "LocalAuthority": "Local Authority",
    "NationalAuthority": "National authority",
    "NonGovernmentalOrganisation": "Non-Governmental Organisation",
    "NonProfitOrganisation": "Non-Profit Organisation",
    "PrivateIndividual(s)": "Private Individual(s)",
    "RegionalAuthority": "Regional authority",
    "StandardisationBody": "Standardisation body",
    "SupraNationalAuthority": "Supra-national authority",
}
KNOWN_KEYS = {"title", "description", "publisher", "contact_email", "base_url", "releases_kept"}


@dataclass(frozen=True)
class CatalogueConfig:
    """Who publishes the catalogue, where it lives and how many releases stay."""

    title_sv: str
    title_en: str
    description_sv: str
    description_en: str
    publisher_name: str
    publisher_iri: str
    publisher_type: str
    contact_email: str
    base_url: str
    releases_kept: int

    @property
    def publisher_type_iri(self) -> str:
        return ADMS_PUBLISHER_TYPES + self.publisher_type

    @property
    def publisher_type_label(self) -> str:
        return PUBLISHER_TYPES[self.publisher_type]

    @property
    def host(self) -> str:
        """The base URL's host: the domain part of calendar UIDs."""
        return urlsplit(self.base_url).hostname or "localhost"


def _fail(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: {key}: {message}")


def _text(data: dict[str, Any], key: str, path: Path, label: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, label, "missing or empty text")
    return " ".join(value.split())


def _bilingual(data: dict[str, Any], key: str, path: Path) -> tuple[str, str]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise _fail(path, key, "expected a mapping with 'sv' and 'en' texts")
    return _text(value, "sv", path, f"{key}.sv"), _text(value, "en", path, f"{key}.en")


def _absolute_iri(value: str, path: Path, key: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise _fail(path, key, f"'{value}' is not an absolute http(s) IRI")
    return value


def _mailbox(value: str, path: Path) -> str:
    if value.count("@") != 1 or "." not in value.split("@")[1] or " " in value:
        raise _fail(path, "contact_email", f"'{value}' is not an e-mail address")
    if not is_functional_mailbox(value):
        raise _fail(
            path,
            "contact_email",
            f"'{value}' looks like a person's address; it is published, so use a functional mailbox",
        )
    return value


def _releases_kept(value: Any, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(path, "releases_kept", f"'{value}' is not a whole number of at least 1")
    return value


def parse_catalogue_config(data: Any, path: Path) -> CatalogueConfig:
    """Check every key of the YAML mapping and build the config."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise _fail(path, unknown[0], f"unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")
    title_sv, title_en = _bilingual(data, "title", path)
    description_sv, description_en = _bilingual(data, "description", path)
    publisher = data.get("publisher")
    if not isinstance(publisher, dict):
        raise _fail(path, "publisher", "expected a mapping with name, iri and type")
    publisher_type = _text(publisher, "type", path, "publisher.type")
    if publisher_type not in PUBLISHER_TYPES:
        raise _fail(path, "publisher.type", f"'{publisher_type}' is not one of {', '.join(PUBLISHER_TYPES)}")
    base_url = _absolute_iri(_text(data, "base_url", path, "base_url"), path, "base_url")
    if not base_url.endswith("/"):
        raise _fail(path, "base_url", f"'{base_url}' must end with '/'")
    return CatalogueConfig(
        title_sv=title_sv,
        title_en=title_en,
        description_sv=description_sv,
        description_en=description_en,
        publisher_name=_text(publisher, "name", path, "publisher.name"),
        publisher_iri=_absolute_iri(_text(publisher, "iri", path, "publisher.iri"), path, "publisher.iri"),
        publisher_type=publisher_type,
        contact_email=_mailbox(_text(data, "contact_email", path, "contact_email"), path),
        base_url=base_url,
        releases_kept=_releases_kept(data.get("releases_kept"), path),
    )


def load_catalogue_config(path: str | Path = DEFAULT_CONFIG) -> CatalogueConfig:
    """Read and validate config/catalogue.yaml (or another file)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_catalogue_config(data, path)
