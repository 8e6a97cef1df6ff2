"""Operator commands, run as an operator runs them: `run --source`, `extract --url` live, `demo --serve-only`.

Real processes against the demo sites served on 127.0.0.1 by the test session.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT, SITES

CLI = Path(sys.executable).parent / "kommundialog"
SEED_PATH = "/nyheter/nyheter/2024-05-09-inbjudan-till-dialogmote-med-socialtjansten.html"


def kommundialog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT, env=env
    )


def one_line(result: subprocess.CompletedProcess[str], code: int, *names: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def nordmaling_origin(demo_sites) -> str:
    return demo_sites.origins["nordmaling"]


# -- extract --url: the live page through the polite client ------------------------------------


def test_extract_fetches_a_live_page_and_saves_its_bytes(
    demo_sites, demo_registry_file, tmp_path: Path
) -> None:
    saved = tmp_path / "page.html"
    url = nordmaling_origin(demo_sites) + SEED_PATH
    result = kommundialog("extract", "--url", url, "--sources", str(demo_registry_file), "--save", str(saved))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "meeting"
    assert [(m["date"], m["start"], m["place"]) for m in data["meetings"]] == [
        ("2024-05-28", "17:30", "Oasen")
    ]
    assert saved.read_bytes() == (SITES / "nordmaling" / SEED_PATH.lstrip("/")).read_bytes()
    assert f"Saved {saved.stat().st_size} bytes to {saved}" in result.stderr


def test_extract_obeys_robots_txt(demo_sites, demo_registry_file) -> None:
    url = nordmaling_origin(demo_sites) + "/sok.html"  # Disallow: /sok.html
    one_line(
        kommundialog("extract", "--url", url, "--sources", str(demo_registry_file)),
        1,
        f"cannot fetch {url}",
        "robots.txt disallows",
    )


def test_extract_refuses_a_private_address_no_source_allows(demo_sites, tmp_path: Path) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        'settings: {user_agent: "kommundialog-test (+https://kommundialog.example/crawler)"}\nsources: []\n',
        encoding="utf-8",
    )
    url = nordmaling_origin(demo_sites) + SEED_PATH
    one_line(kommundialog("extract", "--url", url, "--sources", str(registry)), 1, "non-public address")


def test_extract_reports_a_missing_page(demo_sites, demo_registry_file, tmp_path: Path) -> None:
    url = nordmaling_origin(demo_sites) + "/finns-inte.html"
    saved = tmp_path / "page.html"
    result = kommundialog("extract", "--url", url, "--sources", str(demo_registry_file), "--save", str(saved))
    one_line(result, 1, "HTTP 404")
    assert not saved.exists()


# -- run --source -------------------------------------------------------------------------------


def test_run_with_an_unknown_source_names_the_known_ones(demo_registry_file, tmp_path: Path) -> None:
    result = kommundialog(
        "run",
        "--sources",
        str(demo_registry_file),
        "--source",
        "nordmaling",
        "--db",
        str(tmp_path / "kd.duckdb"),
    )
    one_line(result, 2, "--source nordmaling", "nordmaling-socialtjansten, ovanaker-socialtjansten")
    assert not (tmp_path / "kd.duckdb").exists()


@pytest.mark.integration
def test_run_only_the_sources_named(demo_registry_file, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    result = kommundialog(
        "run",
        "--sources",
        str(demo_registry_file),
        "--source",
        "nordmaling-socialtjansten",
        "--source",
        "helsingborg-oppnasoc",
        "--db",
        str(data / "kd.duckdb"),
        "--out",
        str(data / "catalogue"),
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sources: 2  Pages: 11 (0 failed)  Meetings: 6  Summaries: 1  Errors: 0" in result.stdout
    with duckdb.connect(str(data / "kd.duckdb"), read_only=True) as con:
        sources = con.execute("SELECT source_id FROM sources ORDER BY 1").fetchall()
        fetched = con.execute("SELECT DISTINCT source_id FROM fetch_log ORDER BY 1").fetchall()
    assert sources == fetched == [("helsingborg-oppnasoc",), ("nordmaling-socialtjansten",)]
    assert not list(data.glob(".run-sources-*"))  # the narrowed registry is removed after the run


# -- demo --serve-only --------------------------------------------------------------------------


def test_demo_serve_only_serves_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [str(CLI), "demo", "--serve-only"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        origins = {}
        for line in process.stdout:
            if "serving at" in line:
                site, origin = line.split()[2], line.split()[-1].rstrip("/")
                origins[site] = origin
            if "Ctrl-C stops it" in line:
                break
        assert set(origins) == {"nordmaling", "ovanaker", "norrkoping", "oppnasoc"}
        with urllib.request.urlopen(origins["nordmaling"] + SEED_PATH, timeout=10) as response:
            assert response.status == 200
            assert "dialogmöte" in response.read().decode("utf-8").lower()
        time.sleep(0.5)
        assert process.poll() is None  # still serving: no flow ran and nothing ended it
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        rest = process.stdout.read()
        assert "Demo sites stopped." in rest
        assert "Prefect" not in rest and "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_one_source_chosen_from_the_national_registry_stays_one_source(tmp_path: Path) -> None:
    """Regression: the narrowed file kept `settings.national`, so reading it back added every municipality."""
    from flows.operator import narrowed_registry_file, select_sources
    from tasks.registry import load_registry

    bundled = PROJECT_ROOT / "config" / "sources.yaml"
    registry = load_registry(bundled)
    assert len(registry.sources) > 200  # the national registry is on in the bundled file
    chosen = select_sources(registry, ["nordmaling-socialtjansten"], bundled)
    with narrowed_registry_file(chosen, tmp_path) as narrowed:
        assert [s.id for s in load_registry(narrowed).sources] == ["nordmaling-socialtjansten"]
