"""The registry's schedules as deployments: one per distinct timetable, each with its own sources."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from flows.deployments import RunPaths, render_prefect_yaml
from tasks.registry import load_registry
from tasks.schedules import (
    DEFAULT_CRON,
    ScheduleError,
    deployment_name,
    schedule_groups,
    sources_on_schedule,
)
from tests.conftest import PROJECT_ROOT

CLI = Path(sys.executable).parent / "kommundialog"


@pytest.fixture
def registry():
    """The demo registry with two sources on their own timetable (one written with extra spaces)."""
    base = load_registry(PROJECT_ROOT / "config" / "demo-sources.yaml")
    schedules = {"ovanaker-socialtjansten": "30 7 * * 1-5", "norrkoping-socialnamnden": "30  7 * * 1-5"}
    return replace(base, sources=tuple(replace(s, schedule=schedules.get(s.id)) for s in base.sources))


def test_each_distinct_schedule_is_one_group_and_the_default_comes_first(registry) -> None:
    groups = schedule_groups(registry)
    assert [(g.cron, g.source_ids) for g in groups] == [
        (DEFAULT_CRON, ("nordmaling-socialtjansten", "helsingborg-oppnasoc")),
        ("30 7 * * 1-5", ("ovanaker-socialtjansten", "norrkoping-socialnamnden")),
    ]
    assert [g.deployment_name for g in groups] == ["collect", "collect (30 7 * * 1-5)"]


def test_a_step_in_a_cron_is_written_without_the_slash_prefect_forbids() -> None:
    assert deployment_name("*/15 * * * *") == "collect (*_15 * * * *)"


def test_a_run_of_a_schedule_crawls_only_its_sources(registry) -> None:
    assert [s.id for s in sources_on_schedule(registry, "30 7 * * 1-5")] == [
        "ovanaker-socialtjansten",
        "norrkoping-socialnamnden",
    ]
    assert len(sources_on_schedule(registry, None)) == 4  # `kommundialog run`: every source


def test_a_schedule_no_source_has_any_more_is_an_error_not_an_empty_run(registry) -> None:
    with pytest.raises(ScheduleError, match=r"no source has schedule '0 5 \* \* \*'.*redeploy"):
        sources_on_schedule(registry, "0 5 * * *")


def test_prefect_yaml_has_a_deployment_per_schedule_with_its_cron_and_timezone(registry) -> None:
    paths = RunPaths("config/sources.yaml", "data/kommundialog.duckdb", "data/catalogue")
    document = yaml.safe_load(render_prefect_yaml(schedule_groups(registry), paths, "pool-a"))
    second = document["deployments"][1]
    assert second["name"] == "collect (30 7 * * 1-5)"
    assert second["schedules"] == [{"cron": "30 7 * * 1-5", "timezone": "Europe/Stockholm"}]
    assert second["parameters"]["schedule"] == "30 7 * * 1-5"
    assert second["work_pool"] == {"name": "pool-a"}
    assert "ovanaker-socialtjansten, norrkoping-socialnamnden" in second["description"]


def test_prefect_yaml_paths_are_relative_to_the_folder_deploy_runs_in(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    demo = (PROJECT_ROOT / "config" / "demo-sources.yaml").read_text(encoding="utf-8")
    (tmp_path / "config" / "sources.yaml").write_text(demo, encoding="utf-8")
    argv = [str(CLI), "schedule", "--sources", "config/sources.yaml", "--db", "/srv/kd/warehouse.duckdb"]
    result = subprocess.run(
        [*argv, "--prefect-yaml", "prefect.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "1 deployment(s) for work pool 'kommundialog'" in result.stdout
    (deployment,) = yaml.safe_load((tmp_path / "prefect.yaml").read_text())["deployments"]
    assert deployment["parameters"]["sources_file"] == "config/sources.yaml"
    assert deployment["parameters"]["db_path"] == "/srv/kd/warehouse.duckdb"
    assert deployment["parameters"]["out_dir"] == "data/catalogue"
