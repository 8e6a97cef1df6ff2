"""Every benchmark script runs in its smoke size and prints its figures (issue 15).

The scripts measure, so these tests assert only that they run to the end and
print the lines that carry their figures, never how fast: a renamed or
re-signed function a benchmark calls fails here instead of in a user's hands.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

NUMBER = r"[\d,]+(?:\.\d+)?"


def run_smoke(script: str, timeout: float) -> str:
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "benchmarks" / script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, f"{script} --smoke failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_bench_extract_prints_pages_per_second() -> None:
    out = run_smoke("bench_extract.py", 300)
    assert re.search(rf"^pages: 3, size {NUMBER}-{NUMBER} KB", out, re.MULTILINE), out
    assert re.search(rf"^extraction: {NUMBER} pages/s on one core", out, re.MULTILINE), out


def test_bench_load_prints_both_loads() -> None:
    out = run_smoke("bench_load.py", 300)
    for label in ("first load \\(all new\\)", "second load \\(all unchanged\\)"):
        assert re.search(rf"^{label}: 200 meetings from 2 sources in {NUMBER} s", out, re.MULTILINE), out


def test_bench_incremental_prints_both_runs_and_their_ratio() -> None:
    out = run_smoke("bench_incremental.py", 300)
    assert "first run:  {'requests': " in out, out
    assert "'extracted': 6}" in out  # the listing page and its five news pages
    assert re.search(r"^second run: .*'304s': 6, 'extracted': 0\}", out, re.MULTILINE), out
    assert re.search(rf"first run {NUMBER} s, second run {NUMBER} s, ratio {NUMBER}", out), out


@pytest.mark.integration
def test_bench_national_prints_every_step_and_finds_the_meetings() -> None:
    out = run_smoke("bench_national.py", 900)
    for step in (
        "bare loop, cold",
        "Prefect fixed cost (1-source run)",
        "run, cold",
        "run, nothing changed",
        "run, 5% changed",
        "publish, full build",
        "publish, unchanged",
    ):
        assert re.search(rf"^\| {re.escape(step)} \| {NUMBER} \|", out, re.MULTILINE), out
    assert re.search(
        rf"pipeline cold throughput / bare loop: {NUMBER}x \({NUMBER}x without Prefect's", out
    ), out
    assert re.search(rf"no-change run / bare loop cold: {NUMBER}% \({NUMBER}% without Prefect's", out), out
    found = re.search(r"meetings found: (\d+) of (\d+) the generator wrote", out)
    assert found and int(found.group(2)) > 0 and int(found.group(1)) > 0, out
