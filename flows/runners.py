"""Where the collect flow's per-source tasks run: local threads and processes, or a Dask cluster.

`threads` (the default): crawl tasks on the flow's thread pool, extraction in a
local process per core. `dask`: one crawl-and-extract task per source on a Dask
cluster through prefect-dask's DaskTaskRunner, either a temporary local cluster
of worker processes or an existing one at `--dask-address`
(tcp://scheduler:8786). The DuckDB load always stays in the flow's process.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow

from flows.collect import MAX_PARALLEL_SOURCES, collect

TASK_RUNNERS = ("threads", "dask")
# A temporary local cluster: a worker process per core would be the most;
# two keep the demo light and still show work leaving the flow's process.
LOCAL_DASK_WORKERS = 2


def collect_flow(task_runner: str = "threads", dask_address: str | None = None) -> Flow[Any, Any]:
    """The collect flow set up for a task runner ('threads' or 'dask'); call it with task_runner=... too."""
    if task_runner not in TASK_RUNNERS:
        raise ValueError(f"unknown task runner '{task_runner}'; known: {', '.join(TASK_RUNNERS)}")
    if task_runner == "threads":
        return collect
    from prefect_dask import DaskTaskRunner

    if dask_address:
        runner = DaskTaskRunner(address=dask_address)
    else:
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": LOCAL_DASK_WORKERS,
                "threads_per_worker": MAX_PARALLEL_SOURCES // LOCAL_DASK_WORKERS,
                "processes": True,
                "dashboard_address": ":0",
                # Workers report their task runs to the flow's Prefect API (they cannot share
                # a temporary in-process one): the API the flow uses, handed down.
                "env": {"PREFECT_API_URL": prefect_api_url()},
            }
        )
    return collect.with_options(task_runner=runner)


def prefect_api_url() -> str:
    """The Prefect API this process talks to; Dask workers report to it (the CLI starts one if needed)."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise RuntimeError("the Dask task runner needs a Prefect API server (PREFECT_API_URL)")
    return url
