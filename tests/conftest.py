"""Shared fixtures: seed pages, the demo sites on 127.0.0.1, a Prefect test server."""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.environment import PREFECT_DEFAULTS

# Prefect reads its settings at import: keep its state out of $HOME, quiet and offline.
# The same defaults as the command line (flows/environment.py), so logs behave as in a real run.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="kommundialog-test-prefect-")
for _key, _value in PREFECT_DEFAULTS.items():
    os.environ.setdefault(_key, _value)

# A suite started as a background job (`make test &`, nohup) inherits SIGINT ignored, and so
# would every command it starts: the tests that stop a command as Ctrl-C does need it delivered.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SITES = PROJECT_ROOT / "demo" / "sites"

# Seed replicas: the demo file, the address the page had, the municipality and CMS.
SEEDS = {
    "000": (
        "nordmaling/nyheter/nyheter/2024-05-09-inbjudan-till-dialogmote-med-socialtjansten.html",
        "https://www.nordmaling.se/nyheter/nyheter/2024-05-09-inbjudan-till-dialogmote-med-socialtjansten.html",
    ),
    "001": (
        "ovanaker/nyhetsarkiv/nyheter/vivillgarnahadialogmeddig.9396.html",
        "https://www.ovanaker.se/nyhetsarkiv/nyheter/vivillgarnahadialogmeddig.9396.html",
    ),
    "002": (
        "norrkoping/kommun-och-politik/politik/namnder/socialnamnden/socialnamndens-uppdragsplan-2024.html",
        "https://www.norrkoping.se/kommun-och-politik/politik/namnder/socialnamnden/socialnamndens-uppdragsplan-2024.html",
    ),
    "003": (
        "oppnasoc/utveckling/gemensam-utvecklingsgrupp/index.html",
        "https://oppnasoc.helsingborg.se/utveckling/gemensam-utvecklingsgrupp/",
    ),
    "004": (
        "oppnasoc/2017/06/22/socialnamnden-21-juni-i-korthet/index.html",
        "https://oppnasoc.helsingborg.se/2017/06/22/socialnamnden-21-juni-i-korthet/",
    ),
}

# Names, direct numbers and personal addresses that appear in the seed pages:
# none of them may reach a published file.
PERSONAL_DATA = (
    "Johan Hellberg",
    "Monica Holtstad",
    "David Bergström",
    "david.bergstrom@helsingborg.se",
    "042-10 42 62",
    "070-273 10 11",
    "0271-571 26",
    "Mikael Bogarve",
    "Linda Lindström",
    "Emma Orstein",
    "Pradeep Holmqvist",
    "Sigbritt Arwidson",
    "Kuzhicov",
)


def seed_path(seed: str) -> Path:
    return SITES / SEEDS[seed][0]


def seed_url(seed: str) -> str:
    return SEEDS[seed][1]


@pytest.fixture(scope="session")
def demo_sites() -> Iterator[object]:
    """The demo sites on free ports of 127.0.0.1 for the whole session."""
    from flows.demo_site import serve_demo_sites

    sites = serve_demo_sites(fixed_ports=False)
    yield sites
    sites.close()


@pytest.fixture(scope="session")
def demo_registry_file(demo_sites, tmp_path_factory) -> Path:
    """The demo registry rewritten to point at the test servers."""
    from flows.demo_site import DEMO_REGISTRY, registry_origins
    from tasks.registry import load_registry, rebase_registry, write_registry

    registry = rebase_registry(load_registry(DEMO_REGISTRY), registry_origins(demo_sites))
    path = tmp_path_factory.mktemp("registry") / "demo-sources.yaml"
    write_registry(registry, path)
    return path


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect API for every flow test (its start-up takes ~25 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
