"""`kommundialog check`: every registry mistake ends in exit 2 and one line naming file, entry and field.

Run as an operator runs it: the installed command in a subprocess, on a registry
file written by the test. `run`, `schedule` and `demo` give the same answer
before Prefect is imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

CLI = Path(sys.executable).parent / "kommundialog"

GOOD = """\
settings:
  user_agent: "kommundialog-test (+https://kommundialog.example/crawler)"
  fetch: {retries: 1}
sources:
  - id: nordmaling-socialtjansten
    municipality: Nordmaling
    municipality_code: "2401"
    profile: sitevision
    start_urls: ["https://www.nordmaling.se/nyheter.html"]
    follow: {links: "ul.sv-channel li.sv-channel-item a", match: "dialog|medborgar"}
    schedule: "0 6 * * 1-5"
"""


def with_change(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new)


# (case, registry text, what the one line must name besides the file)
MISTAKES = [
    ("yaml", GOOD + "  - id: [unclosed\n", ["not valid YAML", "line 13"]),
    ("top-level key", with_change("settings:", "setings:"), ["top level", "setings"]),
    ("settings key", with_change("  user_agent:", "  user_agnet:"), ["settings", "user_agnet"]),
    ("source key", GOOD + "    colour: blue\n", ["nordmaling-socialtjansten", "colour"]),
    (
        "follow key",
        with_change('match: "dialog|medborgar"', 'selector: "a"'),
        ["nordmaling-socialtjansten", "follow", "selector"],
    ),
    ("fetch key", with_change("{retries: 1}", "{retrys: 1}"), ["settings.fetch", "retrys"]),
    ("fetch value", with_change("{retries: 1}", "{retries: many}"), ["settings.fetch.retries", "many"]),
    (
        "fetch fraction",
        with_change("{retries: 1}", "{retries: 2.5}"),
        ["settings.fetch.retries", "whole number"],
    ),
    ("fetch negative", with_change("{retries: 1}", "{read_timeout: -5}"), ["settings.fetch.read_timeout"]),
    (
        "css selector",
        with_change('links: "ul.sv-channel li.sv-channel-item a"', 'links: "ul.sv-channel li["'),
        ["nordmaling-socialtjansten", "follow.links", "not a valid CSS selector"],
    ),
    (
        "regex",
        with_change('match: "dialog|medborgar"', 'match: "(dialog"'),
        ["nordmaling-socialtjansten", "follow.match", "not a valid regular expression"],
    ),
    (
        "cron range",
        with_change('"0 6 * * 1-5"', '"61 25 * * *"'),
        ["nordmaling-socialtjansten", "schedule", "minute '61' is outside 0-59"],
    ),
    (
        "cron hour",
        with_change('"0 6 * * 1-5"', '"0 25 * * *"'),
        ["nordmaling-socialtjansten", "schedule", "hour '25' is outside 0-23"],
    ),
    (
        "cron fields",
        with_change('"0 6 * * 1-5"', '"0 6 * *"'),
        ["nordmaling-socialtjansten", "schedule", "5-field"],
    ),
    (
        "broken IPv6 URL",
        with_change('"https://www.nordmaling.se/nyheter.html"', '"http://[::1"'),
        ["nordmaling-socialtjansten", "start_urls", "http://[::1", "Invalid IPv6 URL"],
    ),
    (
        "port",
        with_change("https://www.nordmaling.se/nyheter.html", "https://www.nordmaling.se:99999/nyheter.html"),
        ["nordmaling-socialtjansten", "start_urls", "Port out of range"],
    ),
    (
        "duplicate id",
        GOOD + GOOD.split("sources:\n", 1)[1],
        ["entry 'nordmaling-socialtjansten'", "id: duplicate source id, used by 2 entries"],
    ),
    (
        "profile",
        with_change("profile: sitevision", "profile: sitevison"),
        ["nordmaling-socialtjansten", "profile 'sitevison'", "sitevision"],
    ),
]


def kommundialog(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], *names: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def test_a_good_registry_passes_and_is_described(tmp_path: Path) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text(GOOD, encoding="utf-8")
    result = kommundialog("check", "--sources", str(registry))
    assert result.returncode == 0, result.stderr
    assert f"{registry}: OK, 1 source" in result.stdout
    assert "nordmaling-socialtjansten (Nordmaling, sitevision)" in result.stdout
    assert "0 6 * * 1-5" in result.stdout


@pytest.mark.parametrize("name", ["sources.yaml", "demo-sources.yaml"])
def test_the_bundled_registries_pass(name: str) -> None:
    result = kommundialog("check", "--sources", str(PROJECT_ROOT / "config" / name))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("case", "text", "names"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_exits_2_with_one_line_naming_file_entry_and_field(
    tmp_path: Path, case: str, text: str, names: list[str]
) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text(text, encoding="utf-8")
    line = assert_one_line_exit_2(kommundialog("check", "--sources", str(registry)), str(registry), *names)
    assert line.startswith(f"kommundialog check: {registry}: ")


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    registry = tmp_path / "latin1.yaml"
    registry.write_bytes(GOOD.encode("utf-8") + "# Ovanåker\n".encode("latin-1"))  # line 12
    assert_one_line_exit_2(
        kommundialog("check", "--sources", str(registry)), str(registry), "not UTF-8", "byte 0xe5", "line 12"
    )


def test_a_directory_or_a_missing_file_is_named(tmp_path: Path) -> None:
    assert_one_line_exit_2(kommundialog("check", "--sources", str(tmp_path)), str(tmp_path), "is a directory")
    missing = tmp_path / "nope.yaml"
    assert_one_line_exit_2(kommundialog("check", "--sources", str(missing)), str(missing), "file not found")


PREFECT_PROBE = """\
import sys
from flows.cli import main
code = main(sys.argv[1:])
print("prefect imported:", any(m == "prefect" or m.startswith("prefect.") for m in sys.modules))
sys.exit(code)
"""


@pytest.mark.parametrize("command", ["run", "schedule"])
def test_run_and_schedule_refuse_a_broken_registry_before_prefect_is_imported(
    tmp_path: Path, command: str
) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        with_change('links: "ul.sv-channel li.sv-channel-item a"', 'links: "a[href"'), "utf-8"
    )
    args = [
        command,
        "--sources",
        str(registry),
        "--db",
        str(tmp_path / "w.duckdb"),
        "--out",
        str(tmp_path / "c"),
    ]
    result = subprocess.run(
        [sys.executable, "-c", PREFECT_PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert_one_line_exit_2(result, f"kommundialog {command}: {registry}", "follow.links", "a[href")
    assert "prefect imported: False" in result.stdout
    assert not (tmp_path / "w.duckdb").exists()


def test_demo_refuses_a_broken_demo_registry_before_prefect_is_imported(tmp_path: Path) -> None:
    registry = tmp_path / "demo-sources.yaml"
    registry.write_text(with_change("settings:", "setings:"), "utf-8")
    probe = (
        "import flows.demo_site, pathlib, sys\n"
        f"flows.demo_site.DEMO_REGISTRY = pathlib.Path({str(registry)!r})\n" + PREFECT_PROBE
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            probe,
            "demo",
            "--db",
            str(tmp_path / "w.duckdb"),
            "--out",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert_one_line_exit_2(result, f"kommundialog demo: {registry}", "top level", "setings")
    assert "prefect imported: False" in result.stdout
