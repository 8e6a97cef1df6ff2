"""The source registry: contract keys, validation messages that name entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.registry import RegistryError, load_registry, parse_registry, source_for_url
from tests.conftest import PROJECT_ROOT

GOOD = {
    "id": "nordmaling-socialtjansten",
    "municipality": "Nordmaling",
    "municipality_code": "2401",
    "start_urls": ["https://www.nordmaling.se/nyheter.html"],
}


def registry_with(**changes: object) -> dict:
    entry = {**GOOD, **changes}
    return {"sources": [{k: v for k, v in entry.items() if v is not None}]}


@pytest.mark.parametrize("name", ["sources.yaml", "demo-sources.yaml"])
def test_bundled_registries_load(name: str) -> None:
    registry = load_registry(PROJECT_ROOT / "config" / name)
    hand_tuned = {s.municipality_code for s in registry.sources if not s.discover}
    assert hand_tuned == {"2401", "2121", "0581", "1283"}
    # sources.yaml adds the national registry (discover: auto); the demo registry does not.
    assert all(s.discover for s in registry.sources if s.municipality_code not in hand_tuned)


def test_production_sources_point_at_real_sites_and_demo_at_loopback() -> None:
    production = load_registry(PROJECT_ROOT / "config" / "sources.yaml")
    demo = load_registry(PROJECT_ROOT / "config" / "demo-sources.yaml")
    hand_tuned = [s for s in production.sources if not s.discover]
    assert all(u.startswith("https://") for s in hand_tuned for u in s.start_urls)
    # National origins are as their public source gives them (one is http://, redirects are followed).
    assert all(u.startswith(("https://", "http://www.")) for s in production.sources for u in s.start_urls)
    assert not any("127.0.0.1" in u or "localhost" in u for s in production.sources for u in s.start_urls)
    assert not any(s.allow_private_network for s in production.sources)
    assert all(u.startswith("http://127.0.0.1:") for s in demo.sources for u in s.start_urls)
    assert all(s.allow_private_network for s in demo.sources)


def test_defaults() -> None:
    (source,) = parse_registry(registry_with(), "r.yaml").sources
    assert source.profile == "generic"
    assert source.allow_private_network is False
    assert source.follow is None
    assert source.hosts == frozenset({"www.nordmaling.se"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"municipality_code": "24O1"},
            "entry 'nordmaling-socialtjansten': municipality_code '24O1' is not a 4-digit",
        ),
        ({"municipality_code": 2401}, "municipality_code 2401 is not a 4-digit SCB code in quotes"),
        ({"municipality_code": "2499"}, "municipality_code '2499' is not one of the 290 SCB codes"),
        ({"municipality_code": "2480"}, "municipality_code '2480' is Umeå, not 'Nordmaling'"),
        ({"start_urls": ["ftp://x.se/"]}, "start_urls: 'ftp://x.se/' is not an absolute http(s) URL"),
        ({"start_urls": []}, "start_urls must be a non-empty list"),
        ({"profile": "joomla"}, "profile 'joomla' is not one of"),
        ({"schedule": "every day"}, "schedule 'every day' is not a 5-field cron expression"),
        ({"allow_private_network": "yes"}, "allow_private_network must be true or false"),
        ({"follow": {"links": "a", "match": "("}}, "follow.match '(' is not a valid regular expression"),
        ({"follow": {"selector": "a"}}, "follow has unknown keys ['selector']"),
        ({"colour": "blue"}, "unknown field(s) colour"),
        ({"municipality": None}, "missing required field(s) municipality"),
    ],
)
def test_invalid_entries_name_the_entry_and_field(change: dict, message: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(registry_with(**change), "sources.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("sources.yaml: ")


def test_reference_list_has_all_290_municipalities() -> None:
    from tasks.registry import scb_municipalities

    codes = scb_municipalities()
    assert len(codes) == 290
    assert (codes["2401"], codes["2121"], codes["0581"], codes["1283"]) == (
        "Nordmaling",
        "Ovanåker",
        "Norrköping",
        "Helsingborg",
    )


def test_duplicate_ids_are_refused() -> None:
    data = {"sources": [GOOD, GOOD]}
    with pytest.raises(RegistryError, match="duplicate source id"):
        parse_registry(data, "r.yaml")


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="file not found"):
        load_registry(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_registry(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text(yaml.safe_dump({"other": 1}), encoding="utf-8")
    with pytest.raises(RegistryError, match="top-level 'sources:' list"):
        load_registry(empty)


def test_source_for_url_matches_host_with_or_without_www() -> None:
    registry = load_registry(PROJECT_ROOT / "config" / "sources.yaml")
    assert source_for_url(registry, "https://nordmaling.se/x.html").id == "nordmaling-socialtjansten"
    assert source_for_url(registry, "https://example.org/") is None


def test_a_profile_selector_that_does_not_compile_is_named(tmp_path: Path) -> None:
    from tasks.extract.vocabulary import ConfigError, load_profiles
    from tasks.registry import check_profile_selectors

    profiles_file = tmp_path / "profiles.yaml"
    profiles_file.write_text(
        "profiles:\n  generic: {content: [main]}\n  joomla: {content: ['div.item-page'], drop: ['nav[']}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        check_profile_selectors(load_profiles(profiles_file), profiles_file)
    assert str(caught.value).startswith(
        f"{profiles_file}: profile 'joomla': drop 'nav[' is not a valid CSS selector"
    )
    check_profile_selectors(load_profiles(PROJECT_ROOT / "config" / "profiles.yaml"))  # the bundled ones pass


def test_libyaml_and_pyyaml_read_the_bundled_registries_alike() -> None:
    import yaml

    from tasks.registry import _parse_yaml

    for name in ("sources.yaml", "demo-sources.yaml"):
        text = (PROJECT_ROOT / "config" / name).read_text(encoding="utf-8")
        assert _parse_yaml(text) == yaml.safe_load(text), name
