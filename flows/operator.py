"""Operator commands and the checks that run before Prefect starts.

`check` validates a registry; `run --source` narrows a run to some sources;
`extract --url` without a file fetches the live page; `demo --serve-only`
serves the demo sites; `schedule` checks its Prefect server and port first.
Nothing here imports Prefect: a mistake must be reported in a second, not
after a server has started.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path

from flows.errors import CommandError
from tasks.registry import Registry, load_registry, write_registry

PREFECT_HEALTH_TIMEOUT_SECONDS = 5


def describe_registry(registry: Registry, path: Path) -> list[str]:
    """What `kommundialog check` prints for a registry that passed every check."""
    schedules = sorted({s.schedule for s in registry.sources if s.schedule})
    count = len(registry.sources)
    lines = [f"{path}: OK, {count} source{'' if count == 1 else 's'}"]
    for source in registry.sources:
        pages = ", ".join(source.start_urls)
        lines.append(f"  {source.id} ({source.municipality}, {source.profile}): {pages}")
    lines.append(f"  schedules: {', '.join(schedules) if schedules else 'none (schedule uses its default)'}")
    return lines


def select_sources(registry: Registry, wanted: Sequence[str], path: Path) -> Registry:
    """The registry narrowed to the sources named by `--source`, in the registry's order."""
    known = [s.id for s in registry.sources]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise CommandError(f"--source {', '.join(unknown)}: not in {path} (its sources: {', '.join(known)})")
    return replace(registry, sources=tuple(s for s in registry.sources if s.id in set(wanted)))


@contextmanager
def narrowed_registry_file(registry: Registry, folder: Path) -> Iterator[Path]:
    """A registry file holding only the chosen sources, removed when the run ends."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".run-sources-", suffix=".yaml", dir=folder)
    os.close(handle)
    path = Path(name)
    try:
        write_registry(registry, path)
        load_registry(path)  # what the flow will read must pass the same check
        yield path
    finally:
        path.unlink(missing_ok=True)


def check_prefect_api(api_url: str) -> None:
    """Refuse to serve a schedule on a Prefect API that does not answer."""
    health = f"{api_url.rstrip('/')}/health"
    try:
        with urllib.request.urlopen(health, timeout=PREFECT_HEALTH_TIMEOUT_SECONDS) as response:
            if response.status == 200:
                return
            reason = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", exc))
    raise CommandError(
        f"PREFECT_API_URL {api_url} does not answer ({reason}): start that server, "
        "or unset PREFECT_API_URL to let schedule start a local one"
    )


def prefect_answers(api_url: str) -> bool:
    """True when a Prefect API answers its health check at this URL."""
    try:
        check_prefect_api(api_url)
    except CommandError:
        return False
    return True


def local_prefect_answers(port: int) -> bool:
    """True when a Prefect server already listens on 127.0.0.1:port (schedule then uses it)."""
    return prefect_answers(f"http://127.0.0.1:{port}/api")


def check_port_free(port: int) -> None:
    """Refuse a --port something else listens on before starting a Prefect server there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise CommandError(
                f"port {port} on 127.0.0.1 is in use ({exc.strerror}) and no Prefect server answers there: "
                "choose another with --port"
            ) from exc


def port_number(text: str) -> int:
    """argparse type for a TCP port: a whole number from 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        import argparse

        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0-65535)")
    return port


def serve_demo_until_interrupted(say: Callable[[str], None], stop: threading.Event | None = None) -> int:
    """Serve the demo sites on 127.0.0.1 without running the flow, until Ctrl-C (or `stop`)."""
    from flows.demo_site import serve_demo_sites

    with serve_demo_sites() as sites:
        for site, origin in sites.origins.items():
            say(f"Demo site {site} serving at {origin}/")
        say("Serving only (no flow run). Ctrl-C stops it.")
        with suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    say("Demo sites stopped.")
    return 0
