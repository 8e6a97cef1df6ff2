"""`kommundialog publish` and `kommundialog serve-catalogue` in fresh processes, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.catalogue_support import load_seed_pages

CLI = Path(sys.executable).parent / "kommundialog"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "data" / "kd.duckdb"
    load_seed_pages(db)
    return db


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def test_publish_rebuilds_the_catalogue_from_the_warehouse_alone(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    first = run("publish", "--db", str(warehouse), "--out", str(out), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Published release 2024-06-01T060000Z" in first.stdout
    assert (out / "meetings.ics").is_file() and (out / "catalog.rdf").is_file()
    assert not (tmp_path / "data" / "prefect").exists()  # no flow, no Prefect state

    sums = (out / "SHA256SUMS").read_bytes()
    second = run("publish", "--db", str(warehouse), "--out", str(out), cwd=tmp_path)
    assert second.returncode == 0 and "Unchanged: release 2024-06-01T060000Z" in second.stdout
    assert (out / "SHA256SUMS").read_bytes() == sums


def test_publish_explains_a_missing_warehouse_and_a_bad_config(warehouse: Path, tmp_path: Path) -> None:
    missing = run(
        "publish", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "c"), cwd=tmp_path
    )
    assert missing.returncode == 2 and "no warehouse at" in missing.stderr
    config = tmp_path / "catalogue.yaml"
    config.write_text("releases_kept: 0\n", encoding="utf-8")
    bad = run(
        "publish", "--db", str(warehouse), "--out", str(tmp_path / "c"), "--config", str(config), cwd=tmp_path
    )
    assert bad.returncode == 2 and "catalogue.yaml" in bad.stderr and "Traceback" not in bad.stderr


def test_serve_catalogue_serves_the_published_files_on_localhost(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    assert run("publish", "--db", str(warehouse), "--out", str(out), cwd=tmp_path).returncode == 0
    server = subprocess.Popen(
        [str(CLI), "serve-catalogue", "--out", str(out), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = server.stdout.readline()
        assert "at http://127.0.0.1:" in line
        base = line.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(base + "index.html", timeout=10) as response:
            assert response.status == 200 and "Kommundialog" in response.read().decode("utf-8")
        with urllib.request.urlopen(base + "meetings.ics", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/calendar")
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def test_serve_catalogue_without_a_catalogue_says_what_to_do(tmp_path: Path) -> None:
    result = run("serve-catalogue", "--out", str(tmp_path / "nothing"), cwd=tmp_path)
    assert result.returncode == 2 and "run `kommundialog publish` first" in result.stderr
