"""The production path as far as a test can walk it: the repository's systemd units and prefect.yaml.

A Prefect server started with the server unit's command line, a process work
pool, `prefect deploy --all` of a prefect.yaml written by `kommundialog schedule
--prefect-yaml`, a worker started with the worker unit's command line: the
worker picks the run up, the run completes and loads the demo sites into DuckDB.
"""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.deployments import RunPaths, render_prefect_yaml
from flows.server import prefect_healthy
from tasks.registry import load_registry
from tasks.schedules import schedule_groups
from tests.conftest import PROJECT_ROOT
from tests.prefect_api import api_post, deployments, free_port, stop, wait_for_finished_run

SYSTEMD = PROJECT_ROOT / "deploy" / "systemd"
INSTALL_ROOT = "/opt/kommundialog"
UNIT_PORT = "4200"
BIN = Path(sys.executable).parent
CLI = BIN / "kommundialog"


def unit_command(unit: str, port: int) -> list[str]:
    """A unit's ExecStart, pointed at this checkout's virtualenv and the test's port."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(SYSTEMD / unit)
    argv = shlex.split(parser["Service"]["ExecStart"])
    argv[0] = argv[0].replace(f"{INSTALL_ROOT}/.venv/bin", str(BIN))
    return [str(port) if arg == UNIT_PORT else arg for arg in argv]


def unit_environment(port: int, prefect_home: Path) -> dict[str, str]:
    """The units' EnvironmentFile, with the test's port and Prefect home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    for line in (SYSTEMD / "kommundialog.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    env["PREFECT_API_URL"] = env["PREFECT_API_URL"].replace(UNIT_PORT, str(port))
    env["PREFECT_HOME"] = str(prefect_home)
    return env


def test_repository_prefect_yaml_matches_the_registry() -> None:
    """prefect.yaml is generated from config/sources.yaml; a schedule change must be redeployed."""
    groups = schedule_groups(load_registry(PROJECT_ROOT / "config" / "sources.yaml"))
    paths = RunPaths("config/sources.yaml", "data/kommundialog.duckdb", "data/catalogue")
    expected = render_prefect_yaml(groups, paths, "kommundialog")
    assert (PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8") == expected, (
        "prefect.yaml is out of step: run `kommundialog schedule --prefect-yaml prefect.yaml`"
    )
    (deployment,) = yaml.safe_load(expected)["deployments"]
    assert deployment["entrypoint"] == "flows/collect.py:collect"
    assert (PROJECT_ROOT / "flows" / "collect.py").is_file()


def test_units_run_the_server_and_a_worker_of_the_pool_in_prefect_yaml() -> None:
    pool = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())["deployments"][0]["work_pool"]["name"]
    assert unit_command("kommundialog-worker.service", 4200)[1:] == [
        "worker",
        "start",
        "--pool",
        pool,
        "--type",
        "process",
    ]
    assert unit_command("kommundialog-prefect-server.service", 4200)[1:4] == ["server", "start", "--host"]


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    """A self-hosted Prefect server started as its systemd unit would, for this module."""
    port = free_port()
    home = tmp_path_factory.mktemp("prefect-home")
    env = unit_environment(port, home)
    log = home / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            unit_command("kommundialog-prefect-server.service", port),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    api_url = env["PREFECT_API_URL"]
    try:
        deadline = time.monotonic() + 240
        while not prefect_healthy(api_url):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(1)
        yield api_url, env
    finally:
        stop(server)


@pytest.mark.integration
def test_a_worker_of_the_process_pool_runs_the_deployed_flow(
    prefect_api: tuple[str, dict[str, str]], demo_registry_file: Path, tmp_path: Path
) -> None:
    api_url, env = prefect_api
    data = tmp_path / "data"
    prefect_yaml = tmp_path / "prefect.yaml"

    def run(*argv: str, cwd: Path = PROJECT_ROOT) -> str:
        result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run(str(BIN / "prefect"), "work-pool", "create", "kommundialog", "--type", "process")
    run(
        str(CLI),
        "schedule",
        "--sources",
        str(demo_registry_file),
        "--db",
        str(data / "kd.duckdb"),
        "--out",
        str(data / "catalogue"),
        "--prefect-yaml",
        str(prefect_yaml),
    )
    # From the checkout, as an operator does: the checkout becomes the worker's working directory.
    run(str(BIN / "prefect"), "deploy", "--all", "--no-prompt", "--prefect-file", str(prefect_yaml))
    deployment = deployments(api_url)["collect"]
    assert deployment["work_pool_name"] == "kommundialog"
    assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 6 * * *"]
    flow_run = api_post(api_url, f"/deployments/{deployment['id']}/create_flow_run", {})

    log = tmp_path / "worker.log"
    worker_env = {**env, "PREFECT_WORKER_QUERY_SECONDS": "2"}
    with log.open("w") as out:
        worker = subprocess.Popen(
            unit_command("kommundialog-worker.service", 4200),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=worker_env,
            cwd=tmp_path,
        )
    try:
        finished = wait_for_finished_run(api_url, deployment["id"], timeout=240, alive=worker, log=log)
    finally:
        stop(worker, grace=20)
    assert finished["id"] == flow_run["id"]
    assert finished["state_type"] == "COMPLETED", (finished["state_name"], log.read_text())
    assert finished["work_pool_name"] == "kommundialog"
    assert f"submitting flow run '{flow_run['id']}'" in log.read_text()  # this worker picked it up
    with duckdb.connect(str(data / "kd.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meetings").fetchone() == (6,)
        assert con.execute("SELECT status FROM runs").fetchall() == [("ok",)]
    assert (data / "catalogue" / "meetings.csv").is_file()
