"""The `kommundialog` command line.

Prefect is imported only by the commands that run flows: `extract` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flows.errors import CommandError
from flows.operator import port_number
from tasks.extract.vocabulary import ConfigError
from tasks.registry import BUNDLED_REGISTRY as PRODUCTION_REGISTRY

# No DuckDB (nor pyarrow) at import time: the run's extraction workers are spawned
# processes that import this module again (it is the entry point's `__main__`), and
# each would carry ~70 MB of libraries it never uses. Warehouse modules are imported
# where a command needs them.

if TYPE_CHECKING:
    from flows.deployments import RunPaths
    from tasks.registry import Registry
    from tasks.schedules import ScheduleGroup

DEFAULT_DB = Path("data/kommundialog.duckdb")
DEFAULT_OUT = Path("data/catalogue")

CATALOGUE_CONFIG = Path(__file__).resolve().parents[1] / "config" / "catalogue.yaml"


def _say(message: str) -> None:
    print(message, flush=True)


def _prepare_prefect(db: Path, verbosity: str = "normal") -> None:
    from flows.environment import configure_prefect, prefect_is_fresh

    configure_prefect(db.parent)
    if verbosity == "quiet":
        return
    if prefect_is_fresh():
        _say(
            "Starting Prefect for the first time on this machine: it creates its database, "
            "which takes about 30 s. Later runs start faster."
        )
    else:
        _say("Starting Prefect's local API server (about 10 s)...")


def _show_logs_on_console() -> None:
    """`--verbose`: flow, task and page logs at INFO on the console too, not only in the Prefect UI."""
    import logging

    import prefect.main  # noqa: F401  (importing it installs the console handlers lowered here)

    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO)
    for name in ("tasks", "warehouse"):
        logging.getLogger(name).setLevel(logging.INFO)


def _run_flow(
    sources_file: Path,
    db: Path,
    out: Path,
    verbosity: str = "normal",
    wait: float = 0.0,
    runner: tuple[str, str | None] = ("threads", None),
) -> int:
    from warehouse.lock import writer_lock

    with writer_lock(db, "run", wait):  # before Prefect starts: a busy warehouse is said at once
        _prepare_prefect(db, verbosity)
        from flows import progress
        from flows.runtime import run_collect

        if verbosity == "verbose":
            _show_logs_on_console()
        started = time.monotonic()
        with progress.showing(progress.choose_display(sys.stdout, verbosity)):
            summary = run_collect(sources_file, db, out, *runner)
    elapsed = time.monotonic() - started
    detail = verbosity != "quiet"
    if detail:
        _say("")
        _say(f"Run {summary.run_id} finished in {elapsed:.1f} s")
        for source_id, line in summary.per_source.items():
            _say(f"  {source_id}: {line}")
    if summary.fatal:  # the previous catalogue and snapshot are still served
        print(
            f"kommundialog: run {summary.run_id} failed, nothing published: {summary.fatal}", file=sys.stderr
        )
        return EXIT_MACHINE_FAULT
    _say(
        f"Sources: {summary.sources}  Pages: {summary.pages} ({summary.failed_pages} failed)  "
        f"Meetings: {summary.meetings}  Summaries: {summary.summaries}  Errors: {len(summary.errors)}"
    )
    changed = ", ".join(f"{n} {k}" for k, n in summary.changes.items() if n)
    if detail:
        _say(f"Meeting changes: {changed or 'none'}")
    for error in summary.errors:
        _say(f"  error: {error}")
    for warning in summary.warnings:
        _say(f"  warning: {warning}")
    if not detail:
        return summary.exit_code
    _say_health(summary)
    _say(f"Warehouse: {db}  (tables: {summary.table_counts})")
    _say(f'Snapshot for analysts: {summary.snapshot}  (kommundialog query "SELECT * FROM upcoming_meetings")')
    _say(
        f"Catalogue: {out}/ ({len(summary.outputs)} files: index.html, meetings.csv, meetings.ics, catalog.rdf, ...)"
    )
    _say(f"Open {out / 'index.html'} in a browser to look at it.")
    return summary.exit_code


def _say_health(summary: object) -> None:
    """Per source: ok, degraded or broken, with the reasons; then any alert sent."""
    for source_id, health in summary.health.items():
        _say(f"  health {source_id}: {health.state}" + (f" ({health.reason})" if health.reasons else ""))
    for line in summary.alerts:
        _say(f"  {line}")


def _verbosity(args: argparse.Namespace) -> str:
    return "quiet" if args.quiet else "verbose" if args.verbose else "normal"


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo_site import DEMO_REGISTRY, registry_origins, serve_demo_sites
    from tasks.registry import load_registry, rebase_registry, write_registry

    registry = load_registry(DEMO_REGISTRY)  # the same check as `kommundialog check`, before Prefect
    if args.serve_only:
        from flows.operator import serve_demo_until_interrupted

        return serve_demo_until_interrupted(_say)
    db, out = Path(args.db), Path(args.out)
    with serve_demo_sites() as sites:
        for site, origin in sites.origins.items():
            if not args.quiet:
                _say(f"Demo site {site} serving at {origin}/")
        registry = rebase_registry(registry, registry_origins(sites))
        resolved = db.parent / "demo-sources.resolved.yaml"
        write_registry(registry, resolved)
        return _run_flow(resolved, db, out, _verbosity(args), args.wait, _runner(args))


def cmd_run(args: argparse.Namespace) -> int:
    from tasks.registry import load_registry

    registry = load_registry(args.sources)  # the same check as `kommundialog check`, before Prefect
    db, out, verbosity = Path(args.db), Path(args.out), _verbosity(args)
    if not args.source:
        return _run_flow(Path(args.sources), db, out, verbosity, args.wait, _runner(args))
    from flows.operator import narrowed_registry_file, select_sources

    chosen = select_sources(registry, args.source, Path(args.sources))
    with narrowed_registry_file(chosen, db.parent) as narrowed:
        return _run_flow(narrowed, db, out, verbosity, args.wait, _runner(args))


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a registry the way `run`, `schedule` and `demo` do before they start Prefect."""
    from flows.operator import describe_registry
    from tasks.registry import load_registry

    for line in describe_registry(load_registry(args.sources), Path(args.sources)):
        _say(line)
    return 0


def _runner(args: argparse.Namespace) -> tuple[str, str | None]:
    """The task runner the command line (or KOMMUNDIALOG_TASK_RUNNER / _DASK_ADDRESS) asks for."""
    task_runner = "dask" if args.dask_address else args.task_runner
    return task_runner, args.dask_address


def cmd_extract(args: argparse.Namespace) -> int:
    from tasks.charset import decode_text, looks_binary, looks_like_html
    from tasks.extract.page import AUTO_PROFILE, extract_page
    from tasks.extract.vocabulary import default_profiles
    from tasks.records import PageContext, to_jsonable
    from tasks.registry import load_registry, source_for_url
    from tasks.registry_checks import url_problem

    if problem := url_problem(args.url):
        raise CommandError(f"--url {problem}")
    if args.profile is not None and args.profile not in (*default_profiles(), AUTO_PROFILE):
        known = ", ".join(sorted([*default_profiles(), AUTO_PROFILE]))
        raise CommandError(f"--profile '{args.profile}' is not a known CMS profile (known: {known})")
    try:
        fetched = date.fromisoformat(args.fetched_at) if args.fetched_at else None
    except ValueError as exc:
        raise CommandError(f"--fetched-at: '{args.fetched_at}' is not a date YYYY-MM-DD") from exc
    registry = load_registry(args.sources)
    if args.file:
        if args.save:
            raise CommandError("--save keeps a page fetched live: leave out FILE to fetch --url")
        path = Path(args.file)
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    else:
        body, fetched_on = _fetch_live(registry, args.url, args.save)
        fetched = fetched or fetched_on
    source = source_for_url(registry, args.url)
    context = PageContext(
        url=args.url,
        fetched_at=fetched,
        municipality=args.municipality or (source.municipality if source else None),
        profile=args.profile or (source.profile if source else None),
        source_id=source.id if source else None,
    )
    if not looks_like_html(body):
        kind = "binary data" if looks_binary(body) else "text without any HTML element"
        what = args.file or args.url
        raise CommandError(f"{what} is not an HTML page ({kind}): give a saved web page")
    extraction = extract_page(decode_text(body), context)
    print(json.dumps(to_jsonable(extraction), ensure_ascii=False, indent=2))
    return 0


def _fetch_live(registry: Registry, url: str, save: str | None) -> tuple[bytes, date]:
    """The live page's bytes (kept in `save` when asked) and its Stockholm fetch date."""
    from tasks.live_fetch import fetch_live_page
    from warehouse.load import STOCKHOLM

    page = fetch_live_page(registry, url)
    if not page.ok:
        raise FetchFailed(f"cannot fetch {url}: {page.error or f'HTTP {page.status}'}")
    if save:
        try:
            Path(save).write_bytes(page.body)
        except OSError as exc:
            raise CommandError(f"--save: cannot write {save}: {exc.strerror}") from exc
        print(f"Saved {len(page.body)} bytes to {save}", file=sys.stderr)
    return page.body, page.fetched_at.astimezone(STOCKHOLM).date()


def cmd_schedule(args: argparse.Namespace) -> int:

    from flows.deployments import absolute_paths, write_prefect_yaml
    from tasks.registry import load_registry
    from tasks.schedules import schedule_groups

    groups = schedule_groups(load_registry(args.sources))
    db, out = Path(args.db), Path(args.out)
    if args.prefect_yaml:
        target = write_prefect_yaml(
            Path(args.prefect_yaml), groups, args.sources, args.db, args.out, args.work_pool
        )
        _say(
            f"Wrote {target}: {len(groups)} deployment(s) for work pool '{args.work_pool}' (prefect deploy --all)"
        )
        return 0
    from flows.environment import configure_prefect
    from flows.operator import check_port_free, check_prefect_api, local_prefect_answers
    from flows.server import local_prefect_server

    if os.environ.get("PREFECT_API_URL"):
        check_prefect_api(os.environ["PREFECT_API_URL"])
    elif not local_prefect_answers(args.port):
        check_port_free(args.port)
    home = configure_prefect(db.parent)
    paths = absolute_paths(args.sources, db, out)
    if os.environ.get("PREFECT_API_URL"):
        return _serve_collect(groups, paths)
    _say(f"Starting a local Prefect server on 127.0.0.1:{args.port} (schedules need one; ~30 s)...")
    with local_prefect_server(args.port, home / "server.log") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        _say(f"Prefect UI: {api_url.removesuffix('/api')}/")
        return _serve_collect(groups, paths)


def _serve_collect(groups: list[ScheduleGroup], paths: RunPaths) -> int:
    from flows.deployments import serve_groups
    from tasks.schedules import SCHEDULE_TIMEZONE

    for group in groups:
        _say(
            f"Deployment '{group.deployment_name}': {group.cron} ({SCHEDULE_TIMEZONE}): {', '.join(group.source_ids)}"
        )
    _say("Serving; each tick runs its deployment's sources. Ctrl-C stops it.")
    serve_groups(groups, paths)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tasks.evaluate import LabelError, evaluate, format_table, load_corpus
    from tasks.evaluate_text import is_text_corpus

    text_dirs = [Path(d) for d in args.dirs if is_text_corpus(Path(d))]
    if text_dirs:
        return _evaluate_text_corpora(text_dirs, args.mistakes)
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


def _evaluate_text_corpora(folders: list[Path], mistakes: bool) -> int:
    """Score folders in the shared text format (expected.jsonl + pages/) as the shared scorer does."""
    from tasks.evaluate_text import evaluate_text, load_text_corpus
    from tasks.records import PageContext
    from tasks.registry import load_registry, source_for_url

    registry = load_registry(str(PRODUCTION_REGISTRY))

    def context_for(url: str) -> PageContext:
        source = source_for_url(registry, url)
        return PageContext(
            url=url,
            municipality=source.municipality if source else None,
            profile=source.profile if source else None,
        )

    for folder in folders:
        try:
            labels = load_text_corpus(folder)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total, by_kind = evaluate_text(labels, context_for)
        if mistakes:
            print("\n".join(total.pages))
        for kind, part in sorted(by_kind.items()):
            print(f"{kind}: {len(part.pages)} pages; {part.line()}")
        print(total.line())
        if mistakes and total.mistakes:
            print("\nMistakes:")
            print("\n".join(f"  {m}" for m in total.mistakes))
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
    from warehouse.db import WarehouseError, classify_error, open_warehouse
    from warehouse.diskspace import NoSpaceLeft
    from warehouse.integrity import WarehouseDamaged
    from warehouse.lock import writer_lock

    db, out = Path(args.db), Path(args.out)
    if not db.is_file():
        raise CommandError(f"no warehouse at {db}: run `kommundialog run` or `kommundialog demo` first")
    config = load_catalogue_config(args.config)
    before = served_release(out)
    try:
        with writer_lock(db, "publish", args.wait), open_warehouse(db, read_only=True) as con:
            as_of = data_as_of(con)
            if as_of is None:
                raise CommandError(f"{db} holds no data yet: run `kommundialog run` first")
            files = publish_catalogue(con, out, as_of, config)
    except (WarehouseDamaged, NoSpaceLeft):
        raise
    except (WarehouseError, duckdb.Error) as exc:
        machine_fault = classify_error(exc, db, None)
        if machine_fault is not exc:  # a damaged block or a full disk met after the open
            raise machine_fault from exc
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
    from warehouse.db import finish_run, mark_crashed_runs, open_warehouse, start_run
    from warehouse.diskspace import NoSpaceLeft
    from warehouse.integrity import WarehouseDamaged
    from warehouse.lock import writer_lock
    from warehouse.runguard import prepare_run
    from warehouse.snapshot import publish_snapshot

    db, out = Path(args.db), Path(args.out)
    if not db.is_file():
        raise CommandError(f"no warehouse at {db}: run `kommundialog run` or `demo` first")
    snapshot_dir = args.snapshot_dir or out.parent / "snapshot"
    now = datetime.now(UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-reextract-{uuid.uuid4().hex[:6]}"
    with writer_lock(db, "reextract", args.wait):
        prepare_run(
            db, out, snapshot_dir
        )  # free space, and no leftovers of a killed run (never a live one's)
        with open_warehouse(db) as con:
            mark_crashed_runs(con, now)
            start_run(con, run_id, now)
            result = reextract(con, db.parent / "raw", run_id, now, progress=_say)
            problems = [*result.missing_raw, *result.failed]
            finish_run(con, run_id, datetime.now(UTC), "reextract", {"pages": result.pages}, problems)
            try:
                publish_catalogue(con, out, now)
            except (WarehouseDamaged, NoSpaceLeft):
                raise
            except Exception as exc:  # the versions are loaded; the served catalogue stays as it was
                _say(f"  error: catalogue not published (the previous release is still served): {exc}")
            snapshot = publish_snapshot(db, snapshot_dir, con)
    for url in result.missing_raw:
        _say(f"  not in the raw archive, skipped: {url}")
    for failure in result.failed:
        _say(f"  error: could not extract {failure}")
    _say(f"Re-extracted {result.pages} stored pages; catalogue: {out}/; snapshot: {snapshot}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a portable copy of the whole warehouse (Parquet plus schema) to a new folder."""
    from warehouse.backup import backup_warehouse
    from warehouse.lock import writer_lock

    with writer_lock(args.db, "backup", args.wait):  # a run's half-loaded state is never backed up
        result = backup_warehouse(args.db, args.dir)
    rows = sum(result.tables.values())
    _say(
        f"Backed up {args.db} to {result.path}/ ({len(result.tables)} tables, {rows} rows, schema {result.schema_version})."
    )
    _say(f"Restore with: kommundialog restore {result.path} --db {args.db}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Rebuild the warehouse from a backup folder or a snapshot file; the file it replaces is kept."""
    from warehouse.backup import restore_warehouse
    from warehouse.lock import writer_lock

    with writer_lock(args.db, "restore", args.wait):  # never swap the file under a run's connection
        counts = restore_warehouse(args.source, args.db)
    _say(f"Restored {args.db} from {args.source} ({len(counts)} tables, {sum(counts.values())} rows).")
    return 0


def cmd_dictionary(args: argparse.Namespace) -> int:
    from warehouse.dictionary import render_schema_dictionary

    text = render_schema_dictionary()
    if args.output:
        try:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"--output: cannot write {args.output}: {exc.strerror}") from exc
        _say(f"Wrote {args.output}")
    else:
        print(text)
    return 0


class FetchFailed(Exception):
    """A live page could not be fetched: one line, exit code 1."""


# A damaged warehouse or a full disk: the machine, not the user, needs attention.
EXIT_MACHINE_FAULT = 5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kommundialog",
        description="Collect Swedish municipal dialogue meetings and committee summaries into open data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def storage(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--db", default=str(DEFAULT_DB), help="DuckDB warehouse file (default: %(default)s)")
        sub.add_argument("--out", default=str(DEFAULT_OUT), help="catalogue folder (default: %(default)s)")

    def output_flags(sub: argparse.ArgumentParser) -> None:
        loudness = sub.add_mutually_exclusive_group()
        loudness.add_argument(
            "--quiet", action="store_true", help="no progress, only the totals line and errors"
        )
        loudness.add_argument(
            "--verbose", action="store_true", help="a line per source and the flow's logs as well"
        )

    def waits(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="wait up to this long for another run or publish writing the warehouse (default: exit 3 at once)",
        )

    def runner_flags(sub: argparse.ArgumentParser) -> None:
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
    output_flags(demo)
    waits(demo)
    demo.add_argument(
        "--serve-only", action="store_true", help="only serve the demo sites (no flow run) until Ctrl-C"
    )
    runner_flags(demo)
    demo.set_defaults(handler=cmd_demo)

    check = commands.add_parser("check", help="validate a source registry without running anything")
    check.add_argument("--sources", default=str(PRODUCTION_REGISTRY), help="registry YAML file")
    check.set_defaults(handler=cmd_check)

    run = commands.add_parser("run", help="run the collect flow on a source registry")
    run.add_argument(
        "--sources", default=str(PRODUCTION_REGISTRY), help="registry YAML file (default: %(default)s)"
    )
    run.add_argument("--source", action="append", metavar="ID", help="run only this source (repeat for more)")
    storage(run)
    output_flags(run)
    waits(run)
    runner_flags(run)
    run.set_defaults(handler=cmd_run)

    extract = commands.add_parser("extract", help="extract one saved (or live) page and print JSON")
    extract.add_argument("file", nargs="?", help="saved HTML file (leave out to fetch --url live)")
    extract.add_argument("--save", metavar="FILE", help="keep the live page's bytes in FILE")
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
    evaluate.add_argument(
        "dirs",
        nargs="+",
        help="folders of <id>.json labels beside <id>.html pages, or expected.jsonl beside pages/*.txt",
    )
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
    waits(reextract)
    reextract.add_argument(
        "--snapshot-dir", help="where the analysts' snapshot goes (default: 'snapshot' beside the catalogue)"
    )
    reextract.set_defaults(handler=cmd_reextract)

    backup = commands.add_parser(
        "backup", help="write a portable copy of the warehouse (Parquet plus schema) to a new folder"
    )
    backup.add_argument("dir", help="new or empty folder for the backup")
    backup.add_argument("--db", default=str(DEFAULT_DB), help="DuckDB warehouse file (default: %(default)s)")
    waits(backup)
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore", help="rebuild the warehouse from a backup folder or a snapshot file"
    )
    restore.add_argument("source", help="a folder made by `kommundialog backup`, or a snapshot .duckdb file")
    restore.add_argument(
        "--db", default=str(DEFAULT_DB), help="warehouse file to rebuild (default: %(default)s)"
    )
    waits(restore)
    restore.set_defaults(handler=cmd_restore)

    dictionary = commands.add_parser("dictionary", help="print (or write) the warehouse data dictionary")
    dictionary.add_argument("--output", help="file to write, e.g. docs/warehouse-dictionary.md")
    dictionary.set_defaults(handler=cmd_dictionary)

    schedule = commands.add_parser(
        "schedule", help="serve the collect flow on the registry's schedules (one deployment per schedule)"
    )
    schedule.add_argument("--sources", default=str(PRODUCTION_REGISTRY), help="registry YAML file")
    schedule.add_argument(
        "--prefect-yaml",
        metavar="FILE",
        help="write the deployments as a prefect.yaml for `prefect deploy --all` instead of serving",
    )
    schedule.add_argument(
        "--work-pool", default="kommundialog", help="work pool named in --prefect-yaml (default: %(default)s)"
    )
    schedule.add_argument(
        "--port",
        type=port_number,
        default=4200,
        help="port of the local Prefect server started when PREFECT_API_URL is unset",
    )
    storage(schedule)
    schedule.set_defaults(handler=cmd_schedule)

    publish = commands.add_parser("publish", help="rebuild the open-data catalogue from the warehouse")
    storage(publish)
    waits(publish)
    publish.add_argument(
        "--config", default=str(CATALOGUE_CONFIG), help="catalogue metadata YAML (default: %(default)s)"
    )
    publish.set_defaults(handler=cmd_publish)

    serve = commands.add_parser("serve-catalogue", help="serve the published catalogue on 127.0.0.1")
    serve.add_argument("--out", default=str(DEFAULT_OUT), help="catalogue folder (default: %(default)s)")
    serve.add_argument("--port", type=port_number, default=8000, help="port on 127.0.0.1 (0: any free one)")
    serve.set_defaults(handler=cmd_serve_catalogue)

    from flows.inspect_site import add_discover_command  # issue 13: the site inspector

    add_discover_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from warehouse.db import WarehouseError
    from warehouse.diskspace import NoSpaceLeft
    from warehouse.integrity import WarehouseDamaged
    from warehouse.lock import WarehouseBusy

    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except (WarehouseDamaged, NoSpaceLeft) as exc:
        print(f"kommundialog {args.command}: {exc}", file=sys.stderr)
        return EXIT_MACHINE_FAULT
    except WarehouseBusy as exc:
        print(f"kommundialog {args.command}: {exc}", file=sys.stderr)
        return 3
    except (CommandError, ConfigError, WarehouseError) as exc:
        print(f"kommundialog {args.command}: {exc}", file=sys.stderr)
        return 2
    except FetchFailed as exc:
        print(f"kommundialog {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return _output_closed(args.command)
    except KeyboardInterrupt:
        print("interrupted: a run in progress is marked interrupted; nothing half-loaded", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)  # never wait for crawl threads still in a request: everything we started is stopped


def _output_closed(command: str) -> int:
    """The reader of our output went away (`| head`): say so once, exit 141 like a SIGPIPE."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    print(f"kommundialog {command}: output closed by the reader (broken pipe)", file=sys.stderr)
    return 141


if __name__ == "__main__":
    sys.exit(main())
