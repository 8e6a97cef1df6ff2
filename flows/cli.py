"""The `kommundialog` command line.

Prefect is imported only by the commands that run flows: `extract` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path

from tasks.extract.vocabulary import ConfigError
from warehouse.db import WarehouseError

DEFAULT_DB = Path("data/kommundialog.duckdb")
DEFAULT_OUT = Path("data/catalogue")
DEFAULT_CRON = "0 6 * * *"
SCHEDULE_TIMEZONE = "Europe/Stockholm"
PRODUCTION_REGISTRY = Path(__file__).resolve().parents[1] / "config" / "sources.yaml"
CATALOGUE_CONFIG = Path(__file__).resolve().parents[1] / "config" / "catalogue.yaml"


def _say(message: str) -> None:
    print(message, flush=True)


def _prepare_prefect(db: Path) -> None:
    from flows.environment import configure_prefect, prefect_is_fresh

    configure_prefect(db.parent)
    if prefect_is_fresh():
        _say(
            "Starting Prefect for the first time on this machine: it creates its database, "
            "which takes about 30 s. Later runs start faster."
        )
    else:
        _say("Starting Prefect's local API server (about 10 s)...")


def _run_flow(
    sources_file: Path, db: Path, out: Path, task_runner: str = "threads", dask_address: str | None = None
) -> int:
    _prepare_prefect(db)
    import logging

    # Dask workers run in other processes: they cannot reach Prefect's temporary in-process server.
    needs_server = task_runner == "dask" and not os.environ.get("PREFECT_API_URL")
    started = time.monotonic()
    with _api_server_for_workers(db) if needs_server else nullcontext():
        from flows.runners import collect_flow  # imports Prefect: after PREFECT_API_URL is set

        logging.getLogger("prefect.flow_runs").setLevel(logging.INFO)
        collect = collect_flow(task_runner, dask_address)
        summary = collect(
            sources_file=str(sources_file), db_path=str(db), out_dir=str(out), task_runner=task_runner
        )
    elapsed = time.monotonic() - started
    _say("")
    _say(f"Run {summary.run_id} finished in {elapsed:.1f} s")
    for source_id, line in summary.per_source.items():
        _say(f"  {source_id}: {line}")
    _say(
        f"Sources: {summary.sources}  Pages: {summary.pages} ({summary.failed_pages} failed)  "
        f"Meetings: {summary.meetings}  Summaries: {summary.summaries}  Errors: {len(summary.errors)}"
    )
    changed = ", ".join(f"{n} {k}" for k, n in summary.changes.items() if n)
    _say(f"Meeting changes: {changed or 'none'}")
    for error in summary.errors:
        _say(f"  error: {error}")
    for warning in summary.warnings:
        _say(f"  warning: {warning}")
    _say(f"Warehouse: {db}  (tables: {summary.table_counts})")
    _say(f'Snapshot for analysts: {summary.snapshot}  (kommundialog query "SELECT * FROM upcoming_meetings")')
    _say(
        f"Catalogue: {out}/ ({len(summary.outputs)} files: index.html, meetings.csv, meetings.ics, catalog.rdf, ...)"
    )
    _say(f"Open {out / 'index.html'} in a browser to look at it.")
    return 0


@contextmanager
def _api_server_for_workers(db: Path) -> Iterator[None]:
    """A local Prefect server for the run (Dask workers report to it), stopped afterwards."""
    import socket

    from flows.environment import configure_prefect
    from flows.server import local_prefect_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = configure_prefect(db.parent)  # no Prefect import: it reads PREFECT_API_URL when imported
    _say(f"Starting a local Prefect server on 127.0.0.1:{port} for the Dask workers (~30 s)...")
    with local_prefect_server(port, home / "server.log") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        try:
            yield
        finally:
            del os.environ["PREFECT_API_URL"]


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo_site import DEMO_REGISTRY, registry_origins, serve_demo_sites
    from tasks.registry import load_registry, rebase_registry, write_registry

    db, out = Path(args.db), Path(args.out)
    with serve_demo_sites() as sites:
        for site, origin in sites.origins.items():
            _say(f"Demo site {site} serving at {origin}/")
        registry = rebase_registry(load_registry(DEMO_REGISTRY), registry_origins(sites))
        resolved = db.parent / "demo-sources.resolved.yaml"
        write_registry(registry, resolved)
        return _run_flow(resolved, db, out, *_runner(args))


def cmd_run(args: argparse.Namespace) -> int:
    from tasks.registry import load_registry

    load_registry(args.sources)  # fail fast, before Prefect starts, on a broken registry
    return _run_flow(Path(args.sources), Path(args.db), Path(args.out), *_runner(args))


def _runner(args: argparse.Namespace) -> tuple[str, str | None]:
    """The task runner the command line (or KOMMUNDIALOG_TASK_RUNNER / _DASK_ADDRESS) asks for."""
    task_runner = "dask" if args.dask_address else args.task_runner
    return task_runner, args.dask_address


def cmd_extract(args: argparse.Namespace) -> int:
    from tasks.charset import decode_text
    from tasks.extract.page import extract_page
    from tasks.records import PageContext, to_jsonable
    from tasks.registry import load_registry, source_for_url

    path = Path(args.file)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        fetched = date.fromisoformat(args.fetched_at) if args.fetched_at else None
    except ValueError as exc:
        raise CommandError(f"--fetched-at: '{args.fetched_at}' is not a date YYYY-MM-DD") from exc
    source = source_for_url(load_registry(args.sources), args.url)
    context = PageContext(
        url=args.url,
        fetched_at=fetched,
        municipality=args.municipality or (source.municipality if source else None),
        profile=args.profile or (source.profile if source else None),
    )
    extraction = extract_page(decode_text(body), context)
    print(json.dumps(to_jsonable(extraction), ensure_ascii=False, indent=2))
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:

    from tasks.registry import load_registry

    registry = load_registry(args.sources)
    crons = sorted({s.schedule for s in registry.sources if s.schedule}) or [DEFAULT_CRON]
    db, out = Path(args.db), Path(args.out)
    from flows.environment import configure_prefect
    from flows.server import local_prefect_server

    home = configure_prefect(db.parent)
    if os.environ.get("PREFECT_API_URL"):
        return _serve_collect(args.sources, db, out, crons)
    _say(f"Starting a local Prefect server on 127.0.0.1:{args.port} (schedules need one; ~30 s)...")
    with local_prefect_server(args.port, home / "server.log") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        _say(f"Prefect UI: {api_url.removesuffix('/api')}/")
        return _serve_collect(args.sources, db, out, crons)


def _serve_collect(sources: str, db: Path, out: Path, crons: list[str]) -> int:
    from prefect.schedules import Cron

    from flows.collect import collect

    _say(f"Serving deployment 'collect' on cron {', '.join(crons)} ({SCHEDULE_TIMEZONE}). Ctrl-C stops it.")
    collect.serve(
        name="collect",
        schedules=[Cron(cron, timezone=SCHEDULE_TIMEZONE) for cron in crons],
        parameters={
            "sources_file": str(Path(sources).resolve()),
            "db_path": str(db.resolve()),
            "out_dir": str(out.resolve()),
        },
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tasks.evaluate import LabelError, evaluate, format_table, load_corpus

    try:
        labels = load_corpus([Path(d) for d in args.dirs])
    except LabelError as exc:
        raise CommandError(str(exc)) from exc
    scores = evaluate(labels)
    print(format_table(scores))
    if args.by_profile:
        for profile in sorted({label.profile or "generic" for label in labels}):
            group = [label for label in labels if (label.profile or "generic") == profile]
            part = evaluate(group)
            print(f"\n{profile}: {part.pages} pages, kind {part.kind.ratio:.3f}, meeting F1 {part.f1:.3f}")
    if args.mistakes and scores.mistakes:
        print("\nMistakes:")
        for mistake in scores.mistakes:
            print(f"  {mistake}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Rebuild the catalogue from the warehouse alone: no crawl, no Prefect, no network."""
    import duckdb

    from warehouse.catalogue.config import load_catalogue_config
    from warehouse.catalogue.privacy import PersonalDataError
    from warehouse.catalogue.publish import publish_catalogue
    from warehouse.catalogue.release import CatalogueError, served_release
    from warehouse.catalogue.rows import data_as_of
    from warehouse.catalogue.validate import ReleaseInvalid
    from warehouse.db import WarehouseError, open_warehouse

    db, out = Path(args.db), Path(args.out)
    if not db.is_file():
        raise CommandError(f"no warehouse at {db}: run `kommundialog run` or `kommundialog demo` first")
    config = load_catalogue_config(args.config)
    before = served_release(out)
    try:
        with open_warehouse(db, read_only=True) as con:
            as_of = data_as_of(con)
            if as_of is None:
                raise CommandError(f"{db} holds no data yet: run `kommundialog run` first")
            files = publish_catalogue(con, out, as_of, config)
    except (WarehouseError, duckdb.Error) as exc:
        raise CommandError(f"cannot read the warehouse {db}: {exc}") from exc
    except (CatalogueError, ReleaseInvalid, PersonalDataError) as exc:
        print(f"kommundialog publish: failed, the served catalogue is unchanged: {exc}", file=sys.stderr)
        return 1
    after = served_release(out)
    if after == before:
        _say(f"Unchanged: release {after} in {out}/ already holds this data ({len(files)} files).")
    else:
        _say(f"Published release {after} to {out}/ ({len(files)} files; previous: {before or 'none'}).")
    _say(f"Open {out / 'index.html'} or run `kommundialog serve-catalogue --out {out}`.")
    return 0


def cmd_serve_catalogue(args: argparse.Namespace) -> int:
    """Serve the published catalogue on 127.0.0.1 until Ctrl-C."""
    from warehouse.catalogue.serve import catalogue_server

    out = Path(args.out)
    if not (out / "index.html").is_file():
        raise CommandError(f"no catalogue in {out}/: run `kommundialog publish` first")
    try:
        server = catalogue_server(out, args.port)
    except OSError as exc:
        raise CommandError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}; try --port") from exc
    _say(f"Serving {out}/ at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


DEFAULT_SNAPSHOT = Path("data/snapshot/kommundialog.duckdb")


def cmd_query(args: argparse.Namespace) -> int:
    from warehouse.query import QueryError, format_rows, run_query

    try:
        columns, rows = run_query(args.snapshot, args.sql)
    except QueryError as exc:
        raise CommandError(str(exc)) from exc
    print(format_rows(columns, rows, args.format))
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    import uuid
    from datetime import UTC, datetime

    from tasks.reextract import reextract
    from warehouse.catalogue import publish_catalogue
    from warehouse.db import finish_run, open_warehouse, start_run
    from warehouse.snapshot import publish_snapshot

    db, out = Path(args.db), Path(args.out)
    if not db.is_file():
        raise CommandError(f"no warehouse at {db}: run `kommundialog run` or `demo` first")
    now = datetime.now(UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-reextract-{uuid.uuid4().hex[:6]}"
    with open_warehouse(db) as con:
        start_run(con, run_id, now)
        result = reextract(con, db.parent / "raw", run_id, now, progress=_say)
        problems = [*result.missing_raw, *result.failed]
        finish_run(con, run_id, datetime.now(UTC), "reextract", {"pages": result.pages}, problems)
        try:
            publish_catalogue(con, out, now)
        except Exception as exc:  # the versions are loaded; the served catalogue stays as it was
            _say(f"  error: catalogue not published (the previous release is still served): {exc}")
    for url in result.missing_raw:
        _say(f"  not in the raw archive, skipped: {url}")
    for failure in result.failed:
        _say(f"  error: could not extract {failure}")
    _say(
        f"Re-extracted {result.pages} stored pages; catalogue: {out}/; snapshot: {publish_snapshot(db, args.snapshot_dir or out.parent / 'snapshot')}"
    )
    return 0


def cmd_dictionary(args: argparse.Namespace) -> int:
    from warehouse.dictionary import render_schema_dictionary

    text = render_schema_dictionary()
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        _say(f"Wrote {args.output}")
    else:
        print(text)
    return 0


class CommandError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kommundialog",
        description="Collect Swedish municipal dialogue meetings and committee summaries into open data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def storage(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--db", default=str(DEFAULT_DB), help="DuckDB warehouse file (default: %(default)s)")
        sub.add_argument("--out", default=str(DEFAULT_OUT), help="catalogue folder (default: %(default)s)")

    def runner(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--task-runner",
            choices=("threads", "dask"),
            default=os.environ.get("KOMMUNDIALOG_TASK_RUNNER", "threads"),
            help="where sources are crawled and extracted: local threads and processes, or Dask (default: %(default)s)",
        )
        sub.add_argument(
            "--dask-address",
            default=os.environ.get("KOMMUNDIALOG_DASK_ADDRESS") or None,
            help="scheduler of an existing Dask cluster (tcp://host:8786); implies --task-runner dask",
        )

    demo = commands.add_parser(
        "demo", help="serve the bundled demo sites on 127.0.0.1 and run the flow on them"
    )
    storage(demo)
    runner(demo)
    demo.set_defaults(handler=cmd_demo)

    run = commands.add_parser("run", help="run the collect flow on a source registry")
    run.add_argument("--sources", required=True, help="registry YAML file")
    storage(run)
    runner(run)
    run.set_defaults(handler=cmd_run)

    extract = commands.add_parser("extract", help="extract one saved page and print JSON")
    extract.add_argument("file", help="saved HTML file")
    extract.add_argument("--url", required=True, help="the address the page was fetched from")
    extract.add_argument("--fetched-at", help="fetch date YYYY-MM-DD (helps year inference)")
    extract.add_argument(
        "--profile", help="CMS profile (default: from the registry entry for the URL's host)"
    )
    extract.add_argument("--municipality", help="municipality name (default: from the registry)")
    extract.add_argument(
        "--sources", default=str(PRODUCTION_REGISTRY), help="registry used to look up the URL"
    )
    extract.set_defaults(handler=cmd_extract)

    evaluate = commands.add_parser(
        "evaluate", help="score the extractor against labelled pages and print a table"
    )
    evaluate.add_argument("dirs", nargs="+", help="folders of <id>.json labels beside <id>.html pages")
    evaluate.add_argument("--mistakes", action="store_true", help="list every wrong or missed field")
    evaluate.add_argument(
        "--by-profile", action="store_true", help="also score each CMS profile's pages alone"
    )
    evaluate.set_defaults(handler=cmd_evaluate)

    query = commands.add_parser(
        "query", help="run read-only SQL on the warehouse snapshot and print the rows"
    )
    query.add_argument("sql", help='SQL, e.g. "SELECT * FROM upcoming_meetings"')
    query.add_argument(
        "--snapshot", default=str(DEFAULT_SNAPSHOT), help="snapshot file (default: %(default)s)"
    )
    query.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    query.set_defaults(handler=cmd_query)

    reextract = commands.add_parser(
        "reextract",
        help="run the current extractor over the stored raw pages (no network) and load the differences",
    )
    storage(reextract)
    reextract.add_argument(
        "--snapshot-dir", help="where the analysts' snapshot goes (default: 'snapshot' beside the catalogue)"
    )
    reextract.set_defaults(handler=cmd_reextract)

    dictionary = commands.add_parser("dictionary", help="print (or write) the warehouse data dictionary")
    dictionary.add_argument("--output", help="file to write, e.g. docs/warehouse-dictionary.md")
    dictionary.set_defaults(handler=cmd_dictionary)

    schedule = commands.add_parser("schedule", help="serve the collect flow on the registry's cron schedule")
    schedule.add_argument("--sources", default=str(PRODUCTION_REGISTRY), help="registry YAML file")
    schedule.add_argument(
        "--port",
        type=int,
        default=4200,
        help="port of the local Prefect server started when PREFECT_API_URL is unset",
    )
    storage(schedule)
    schedule.set_defaults(handler=cmd_schedule)

    publish = commands.add_parser("publish", help="rebuild the open-data catalogue from the warehouse")
    storage(publish)
    publish.add_argument(
        "--config", default=str(CATALOGUE_CONFIG), help="catalogue metadata YAML (default: %(default)s)"
    )
    publish.set_defaults(handler=cmd_publish)

    serve = commands.add_parser("serve-catalogue", help="serve the published catalogue on 127.0.0.1")
    serve.add_argument("--out", default=str(DEFAULT_OUT), help="catalogue folder (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free one)")
    serve.set_defaults(handler=cmd_serve_catalogue)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (CommandError, ConfigError, WarehouseError) as exc:
        print(f"kommundialog {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
