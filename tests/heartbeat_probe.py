"""Run by tests/test_temporary_server.py in a process of its own (Prefect's event worker is per process).

Starts the run's temporary server in FOLDER, runs a flow under it as a run
does, and one with heartbeats switched on as the control; waits until the
control's heartbeat is stored and prints both counts as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.prefect_api import api_post

HEARTBEAT = "prefect.flow-run.heartbeat"


def heartbeats(api_url: str, flow_run_id: object) -> int:
    """How many heartbeat events the server stored for the flow run."""
    body = {
        "filter": {"event": {"name": [HEARTBEAT]}, "resource": {"id": [f"prefect.flow-run.{flow_run_id}"]}},
        "limit": 10,
    }
    return len(api_post(api_url, "/events/filter", body)["events"])


def main(folder: Path) -> None:
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.temporary_server import launch_temporary_server, serving

    @flow(name="heartbeat-probe")
    def probe() -> None:
        time.sleep(0.2)

    with serving(launch_temporary_server(folder)) as api_url:
        quiet = probe(return_state=True).state_details.flow_run_id
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}):
            beating = probe(return_state=True).state_details.flow_run_id
        deadline = time.monotonic() + 60
        while heartbeats(api_url, beating) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)  # events are stored in batches, in the background
        print(json.dumps({"run": heartbeats(api_url, quiet), "control": heartbeats(api_url, beating)}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
