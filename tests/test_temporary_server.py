"""A run's own temporary Prefect server: what flow runs under it send.

A real server process on 127.0.0.1, real flow runs, and its event store read back over HTTP.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.prefect_api import api_post

HEARTBEAT = "prefect.flow-run.heartbeat"


def _heartbeats(api_url: str, flow_run_id: object) -> int:
    body = {
        "filter": {"event": {"name": [HEARTBEAT]}, "resource": {"id": [f"prefect.flow-run.{flow_run_id}"]}},
        "limit": 10,
    }
    return len(api_post(api_url, "/events/filter", body)["events"])


@pytest.mark.integration
def test_flow_runs_under_the_runs_own_server_send_no_heartbeats(tmp_path: Path) -> None:
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.temporary_server import launch_temporary_server, serving

    @flow(name="heartbeat-probe")
    def probe() -> None:
        time.sleep(0.2)

    with serving(launch_temporary_server(tmp_path / "servers")) as api_url:
        quiet = probe(return_state=True).state_details.flow_run_id
        # The control: the same flow with heartbeats on sends one as it starts.
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}):
            beating = probe(return_state=True).state_details.flow_run_id
        deadline = time.monotonic() + 60
        while _heartbeats(api_url, beating) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)  # events are stored in batches, in the background
        assert _heartbeats(api_url, beating) >= 1
        assert _heartbeats(api_url, quiet) == 0
