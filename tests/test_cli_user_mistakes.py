"""User mistakes end in one line naming the problem and a documented exit code, never a traceback.

Each case runs the installed command in a subprocess, as a user would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, seed_path, seed_url

CLI = Path(sys.executable).parent / "kommundialog"


def kommundialog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT, env=env
    )


def one_line(result: subprocess.CompletedProcess[str], code: int, *names: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def env_without_prefect(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}, **extra}


def a_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_query_without_sql(tmp_path: Path) -> None:
    one_line(kommundialog("query", ""), 2, "kommundialog query: no SQL given")


def test_run_on_a_directory(tmp_path: Path) -> None:
    one_line(kommundialog("run", "--sources", str(tmp_path)), 2, f"{tmp_path}: is a directory")


def test_dictionary_into_a_missing_folder() -> None:
    one_line(
        kommundialog("dictionary", "--output", "/nonexistent/x.md"),
        2,
        "--output: cannot write /nonexistent/x.md: No such file or directory",
    )


def test_extract_with_an_unknown_profile_names_the_known_ones() -> None:
    result = kommundialog(
        "extract", str(seed_path("000")), "--url", seed_url("000"), "--profile", "sitevison"
    )
    one_line(result, 2, "--profile 'sitevison'", "episerver, generic, sitevision, wordpress")


def test_schedule_with_an_unreachable_prefect_api(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{a_closed_port()}/api"
    started = time.monotonic()
    result = kommundialog(
        "schedule", "--db", str(tmp_path / "kd.duckdb"), env=env_without_prefect(PREFECT_API_URL=api)
    )
    one_line(result, 2, f"PREFECT_API_URL {api} does not answer", "Connection refused")
    assert time.monotonic() - started < 30
    assert not (tmp_path / "prefect").exists()  # nothing of Prefect was set up


def test_schedule_on_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = kommundialog(
            "schedule", "--port", str(port), "--db", str(tmp_path / "kd.duckdb"), env=env_without_prefect()
        )
    one_line(result, 2, f"port {port} on 127.0.0.1 is in use", "--port")
    assert not (tmp_path / "prefect").exists()


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_schedule_port_out_of_range(port: str) -> None:
    result = kommundialog("schedule", "--port", port)
    assert result.returncode == 2
    assert f"'{port}' is not a port number (0-65535)" in result.stderr
    assert "Traceback" not in result.stderr


def test_extract_into_a_closed_pipe() -> None:
    """`extract ... | head`: the reader is gone before the JSON is written."""
    process = subprocess.Popen(
        [str(CLI), "extract", str(seed_path("000")), "--url", seed_url("000")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    process.stdout.close()  # like `head` exiting early
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 141
    lines = stderr.strip().splitlines()
    assert lines == ["kommundialog extract: output closed by the reader (broken pipe)"], stderr


def test_extract_piped_into_head_in_a_shell() -> None:
    command = (
        f"'{CLI}' extract '{seed_path('004')}' --url '{seed_url('004')}' | head -n 1; exit ${{PIPESTATUS[0]}}"
    )
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT
    )
    assert result.stdout == "{\n"
    assert "Traceback" not in result.stderr
    # Whether the pipe closed before the JSON was written depends on timing: both ends are documented.
    assert (result.returncode, result.stderr.strip()) in (
        (0, ""),
        (141, "kommundialog extract: output closed by the reader (broken pipe)"),
    )


@pytest.mark.parametrize(
    "url", ["http://[::1", "https://www.nordmaling.se:99999/", "nordmaling.se/nyheter.html"]
)
def test_extract_with_a_malformed_url(url: str) -> None:
    one_line(kommundialog("extract", "--url", url), 2, f"--url '{url}' is not")
