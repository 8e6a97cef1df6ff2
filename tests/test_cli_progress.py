"""Progress of a run: a live status line in a terminal (checked under a pty), plain lines when piped,
nothing but the totals with --quiet, and the flow's logs as well with --verbose."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flows.progress import (
    CLEAR_LINE,
    LineProgress,
    RunTally,
    SilentProgress,
    SourceDone,
    TerminalProgress,
    choose_display,
    format_duration,
)

CLI = Path(sys.executable).parent / "kommundialog"


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_tally_estimates_the_time_left_from_the_sources_done() -> None:
    clock = FakeClock()
    tally = RunTally(clock)
    tally.start(4)
    assert tally.status() == "Sources 0/4 | pages 0 | meetings 0 | elapsed 0:00 | remaining ?"
    clock.now += 30
    tally.add(SourceDone("a", pages=12, failed_pages=1, meetings=3, line=""))
    assert tally.remaining() == 90
    assert tally.status() == "Sources 1/4 | pages 12 (1 failed) | meetings 3 | elapsed 0:30 | remaining ~1:30"
    assert format_duration(3723) == "1:02:03"


def test_piped_output_gets_one_plain_line_per_source() -> None:
    clock, stream = FakeClock(), io.StringIO()
    display = LineProgress(stream, clock)
    display.run_started(2)
    clock.now += 7
    display.source_finished(SourceDone("umea", 5, 0, 2, "5 pages: 5 fetched"))
    display.source_finished(SourceDone("lulea", 0, 0, 0, "failed: refused"))
    assert stream.getvalue().splitlines() == [
        "Crawling 2 sources...",
        "[1/2] umea: 5 pages: 5 fetched (0:07)",
        "[2/2] lulea: failed: refused (0:07)",
    ]


def test_steps_after_the_crawl_are_shown_with_the_time_they_start() -> None:
    clock, stream = FakeClock(), io.StringIO()
    piped = LineProgress(stream, clock)
    piped.run_started(1)
    clock.now += 65
    piped.step_started("Publishing the catalogue")
    assert stream.getvalue().splitlines()[-1] == "Publishing the catalogue... (1:05)"
    terminal_stream = io.StringIO()
    terminal = TerminalProgress(terminal_stream, clock=clock, refresh_seconds=60)
    terminal.run_started(1)
    terminal.source_finished(SourceDone("umea", 5, 0, 2, "5 pages"))
    clock.now += 3
    terminal.step_started("Writing the analysts' snapshot")
    terminal.run_finished()
    assert (
        CLEAR_LINE + "Sources 1/1 | Writing the analysts' snapshot... | elapsed 0:03"
        in terminal_stream.getvalue()
    )


def test_the_display_follows_the_output_and_the_flags(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    with open(follower, "w", closefd=True) as terminal, (tmp_path / "out.txt").open("w") as file:
        assert isinstance(choose_display(terminal, "normal"), TerminalProgress)
        assert isinstance(choose_display(file, "normal"), LineProgress)
        assert isinstance(choose_display(terminal, "quiet"), SilentProgress)
        assert choose_display(terminal, "verbose").verbose is True
    os.close(leader)


def test_terminal_display_redraws_one_status_line_in_place() -> None:
    clock, stream = FakeClock(), io.StringIO()
    display = TerminalProgress(stream, clock=clock, refresh_seconds=0.01)
    display.run_started(2)
    clock.now += 5
    display.source_finished(SourceDone("umea", 5, 0, 2, "5 pages"))
    display.run_finished()
    text = stream.getvalue()
    assert CLEAR_LINE + "Sources 1/2 | pages 5 | meetings 2 | elapsed 0:05 | remaining ~0:05" in text
    assert "[1/2]" not in text  # per-source lines only with --verbose
    assert text.endswith("\n") and text.count("\n") == 1  # one line, redrawn, ended once


def _run_cli(argv: list[str], env: dict[str, str], cwd: Path, terminal: bool) -> str:
    """Run the command line with its output on a pty (a terminal) or a pipe; return what it wrote."""
    if not terminal:
        result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=600) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict[str, str]:
    """A command-line environment as an operator has it, with one Prefect home for this module's runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path_factory.mktemp("progress-prefect-home"))
    return env


@pytest.mark.integration
def test_a_run_in_a_terminal_shows_a_live_status_line(
    demo_registry_file: Path, cli_env, tmp_path: Path
) -> None:
    argv = [str(CLI), "run", "--sources", str(demo_registry_file), "--db", str(tmp_path / "kd.duckdb")]
    argv += ["--out", str(tmp_path / "catalogue")]
    output = _run_cli(argv, cli_env, tmp_path, terminal=True)
    assert CLEAR_LINE + "Sources 0/4 | pages 0 | meetings 0 | elapsed" in output
    assert "Sources 4/4 | pages 21 | meetings 6 | elapsed" in output
    assert "remaining ~" in output
    assert "[1/4]" not in output  # the plain lines are for pipes
    assert "Sources: 4  Pages: 21 (0 failed)  Meetings: 6  Summaries: 1  Errors: 0" in output


@pytest.mark.integration
def test_verbose_adds_source_lines_and_the_flows_logs(
    demo_registry_file: Path, cli_env, tmp_path: Path
) -> None:
    argv = [str(CLI), "run", "--sources", str(demo_registry_file), "--db", str(tmp_path / "kd.duckdb")]
    argv += ["--out", str(tmp_path / "catalogue"), "--verbose"]
    output = _run_cli(argv, cli_env, tmp_path, terminal=False)
    assert re.search(r"^\[1/4\] nordmaling-socialtjansten: 5 pages: 5 fetched.* \(\d+:\d\d\)$", output, re.M)
    assert "Task run 'crawl-nordmaling-socialtjansten' - Finished in state Completed()" in output
    assert CLEAR_LINE not in output  # no status line drawn into a pipe


@pytest.mark.integration
def test_quiet_prints_only_the_totals(
    prefect_server, demo_registry_file: Path, tmp_path: Path, capsys
) -> None:
    from flows.cli import main

    argv = ["run", "--sources", str(demo_registry_file), "--db", str(tmp_path / "kd.duckdb")]
    assert main([*argv, "--out", str(tmp_path / "catalogue"), "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Sources: 4  Pages: 21 (0 failed)  Meetings: 6  Summaries: 1  Errors: 0"
    ]
