"""`kommundialog demo` end to end in a fresh process, as a new user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

CLI = Path(sys.executable).parent / "kommundialog"

pytestmark = pytest.mark.integration


def test_demo_command_prints_summary_and_writes_outputs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    db, out = tmp_path / "data" / "kd.duckdb", tmp_path / "data" / "catalogue"
    result = subprocess.run(
        [str(CLI), "demo", "--db", str(db), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Demo site nordmaling serving at http://127.0.0.1:" in result.stdout
    assert "Sources: 4  Pages:" in result.stdout
    assert "Meetings: 6  Summaries: 1  Errors: 0" in result.stdout
    assert "nordmaling-socialtjansten: " in result.stdout  # progress per source
    assert "[1/4] nordmaling-socialtjansten: 5 pages" in result.stdout  # piped: plain lines, no status line
    assert "\x1b[2K" not in result.stdout
    assert "INFO" not in result.stdout + result.stderr  # flow logs go to Prefect, not the console
    assert (out / "index.html").is_file() and (out / "meetings.csv").is_file()
    assert (tmp_path / "data" / "prefect" / "prefect.db").is_file()  # Prefect state stays in the data dir
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meetings").fetchone() == (6,)
