"""Every `kommundialog` example in the README's ```sh blocks runs on the demo data (issue 15).

The examples are read from README.md itself, so an example a change breaks (a
renamed view, option or file) fails here rather than in a reader's terminal.

How an example is read:
- a command line of a ```sh block (indented blocks too; a trailing `\\` joins
  the next line) whose program is `.venv/bin/kommundialog` or `kommundialog`,
  also through a variable set in an earlier block (`Q=".venv/bin/kommundialog
  query"`, then `$Q "SQL"`);
- its exit code is 0 unless its trailing comment starts with `exits N`
  (`... # exits 1: HTTP 404`).

How it runs: in a working folder that looks like a checkout after `make demo`:
`data/` written by one `kommundialog demo` run, `demo/` and the files of
`config/` linked from the repository, so the README's relative paths resolve
as written. Two substitutions, because the demo's fixed ports may be taken on
a test machine: `http://127.0.0.1:870N` becomes the address of the test's own
demo site N, and `config/demo-sources.yaml` is the demo registry moved to those
addresses. The program is this interpreter's `kommundialog`.

What is skipped, and why (SKIP_RULES): an example that serves until Ctrl-C,
needs the internet or a cluster, or holds a placeholder (`DIR`, `URL`,
`tcp://SCHEDULER:8786`, `...`). Other programs in the blocks (`make`, `sudo`,
`prefect`, `dask`, the benchmarks, shell built-ins) are not examples of the
command line; OTHER_PROGRAMS says why each is left to other tests, and a
command line of a program in neither list fails
`test_every_shell_line_is_an_example_or_named_as_other`.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
CLI = Path(sys.executable).parent / "kommundialog"
PROGRAM_NAMES = {".venv/bin/kommundialog", "kommundialog"}
DEMO_REGISTRY = "config/demo-sources.yaml"
EXAMPLE_TIMEOUT = 180

# Programs of the README's shell blocks that are not `kommundialog` examples, and where they are covered.
OTHER_PROGRAMS = {
    "make": "the set-up itself: `make demo` and `make test` are what CI runs",
    "sudo": "changes the machine (systemd units); tests/test_production_deployment.py runs the units' commands",
    "cd": "a shell built-in of the production steps",
    "set": "a shell built-in of the production steps",
    "export": "a shell built-in of the cluster steps",
    "prefect": "Prefect's own command line, run by tests/test_production_deployment.py",
    ".venv/bin/prefect": "Prefect's own command line, run by tests/test_production_deployment.py",
    "dask": "starts a Dask cluster; tests/test_dask_runner.py runs a local one",
    ".venv/bin/python": "a benchmark; tests/test_benchmarks.py runs each in its smoke size",
}


@dataclass(frozen=True)
class Example:
    """One command line of the README as written, and what running it should give."""

    line: int
    text: str
    argv: tuple[str, ...]
    exit_code: int

    @property
    def subcommand(self) -> str:
        return self.argv[1] if len(self.argv) > 1 else ""

    @property
    def id(self) -> str:
        """Readable test id: README line, subcommand and what it is about."""
        detail = ""
        if self.subcommand == "query":
            table = re.search(r"\bFROM\s+(\w+)", self.argv[2], re.IGNORECASE)
            detail = table.group(1) if table else ""
        elif self.subcommand == "extract":
            detail = "live-url" if self.argv[2].startswith("--") else "file"
        return f"L{self.line}-{self.subcommand}" + (f"-{detail}" if detail else "")


def shell_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, logical line) inside ```sh fences, continuation lines joined."""
    in_block, pending, start = False, "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            in_block = stripped == "```sh" and not in_block
            continue
        if not in_block:
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        yield start, pending + stripped
        pending = ""


def split_comment(line: str) -> tuple[str, str]:
    """The command and its trailing comment: a `#` outside quotes that starts a word."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].strip(), line[index + 1 :].strip()
    return line.strip(), ""


def documented_exit_code(comment: str) -> int:
    """0, or N when the comment says `exits N` (the README's annotation)."""
    match = re.match(r"exits (\d+)\b", comment)
    return int(match.group(1)) if match else 0


def read_commands(text: str) -> Iterator[tuple[int, str, list[str], str]]:
    """Every command of the shell blocks: line, text, words with variables expanded, comment."""
    variables: dict[str, list[str]] = {}
    for number, line in shell_lines(text):
        command, comment = split_comment(line)
        if not command:
            continue
        words = shlex.split(command)
        assignment = re.fullmatch(r"([A-Za-z_]\w*)=(.*)", words[0]) if len(words) == 1 else None
        if assignment:
            variables[assignment.group(1)] = shlex.split(assignment.group(2))
            continue
        if words[0].startswith("$") and words[0][1:] in variables:
            words = variables[words[0][1:]] + words[1:]
        yield number, line, words, comment


def readme_examples(text: str) -> list[Example]:
    return [
        Example(number, line, tuple(words), documented_exit_code(comment))
        for number, line, words, comment in read_commands(text)
        if words[0] in PROGRAM_NAMES
    ]


def serves_until_interrupted(example: Example) -> bool:
    args = example.argv[1:]
    return (
        args[0] == "serve-catalogue"
        or (args[0] == "schedule" and "--prefect-yaml" not in args)
        or (args[0] == "demo" and "--serve-only" in args)
    )


def needs_the_internet(example: Example) -> bool:
    args = example.argv[1:]
    remote = any(re.match(r"https?://(?!127\.0\.0\.1[:/])", a) for a in args)
    positional_file = len(args) > 1 and not args[1].startswith("--")
    return (args[0] == "discover" and remote) or (args[0] == "extract" and remote and not positional_file)


def has_placeholder(example: Example) -> bool:
    """`...`, or an upper-case word standing for a value (DIR, URL, tcp://SCHEDULER:8786); SQL is not read."""
    words = example.argv[2:] if example.subcommand != "query" else example.argv[3:]
    upper_case_word = re.compile(r"(^|[/:])[A-Z][A-Z_-]+($|[:/])")
    return any("..." in w for w in example.argv) or any(upper_case_word.search(w) for w in words)


SKIP_RULES: list[tuple[Callable[[Example], bool], str]] = [
    (serves_until_interrupted, "serves until Ctrl-C"),
    (needs_the_internet, "needs the internet"),
    (has_placeholder, "holds a placeholder, not a value"),
]


def skip_reason(example: Example) -> str | None:
    return next((reason for applies, reason in SKIP_RULES if applies(example)), None)


def example_params() -> list[object]:
    params = []
    for example in readme_examples(README.read_text(encoding="utf-8")):
        reason = skip_reason(example)
        marks = [pytest.mark.skip(reason=f"README line {example.line}: {reason}")] if reason else []
        params.append(pytest.param(example, id=example.id, marks=marks))
    return params


def environment() -> dict[str, str]:
    """The user's environment without the test session's Prefect settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}


@pytest.fixture(scope="session")
def demo_checkout(tmp_path_factory, demo_sites, demo_registry_file) -> Path:
    """A working folder like a checkout after `make demo`: data/, demo/ and config/."""
    work = tmp_path_factory.mktemp("readme-examples")
    (work / "demo").symlink_to(PROJECT_ROOT / "demo")
    config = work / "config"
    config.mkdir()
    for item in (PROJECT_ROOT / "config").iterdir():
        (config / item.name).symlink_to(item)
    (config / "demo-sources.yaml").unlink()
    (config / "demo-sources.yaml").write_bytes(demo_registry_file.read_bytes())
    result = subprocess.run(
        [str(CLI), "demo", "--db", "data/kommundialog.duckdb", "--out", "data/catalogue"],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment(),
        cwd=work,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (work / "data" / "snapshot" / "kommundialog.duckdb").is_file()
    return work


def runnable_argv(example: Example, origins: dict[str, str]) -> list[str]:
    """The example's words with this interpreter's program and the test's demo addresses."""
    words = [str(CLI)]
    for word in example.argv[1:]:
        for fixed, live in origins.items():
            word = word.replace(fixed, live)
        words.append(word)
    return words


@pytest.mark.integration
@pytest.mark.parametrize("example", example_params())
def test_readme_example_exits_as_documented(example: Example, demo_checkout: Path, demo_sites) -> None:
    from flows.demo_site import registry_origins

    result = subprocess.run(
        runnable_argv(example, registry_origins(demo_sites)),
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT,
        env=environment(),
        cwd=demo_checkout,
    )
    assert result.returncode == example.exit_code, (
        f"README line {example.line}: {example.text}\n"
        f"exit code {result.returncode}, the README documents {example.exit_code}\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )


def test_readme_has_examples_of_the_main_commands() -> None:
    """The reader is not silently left with no example to run (a fence renamed, a block dropped)."""
    examples = readme_examples(README.read_text(encoding="utf-8"))
    runnable = {e.subcommand for e in examples if skip_reason(e) is None}
    assert {"extract", "query", "check", "schedule"} <= runnable, runnable
    assert any(e.exit_code != 0 for e in examples), "no example documents a failing exit code"


def test_every_shell_line_is_an_example_or_named_as_other() -> None:
    """A new command in a ```sh block is either run here or its program is named in OTHER_PROGRAMS."""
    unknown = [
        f"README line {number}: {line}"
        for number, line, words, _ in read_commands(README.read_text(encoding="utf-8"))
        if words[0] not in PROGRAM_NAMES and words[0] not in OTHER_PROGRAMS
    ]
    assert not unknown, "\n".join(unknown)


def test_reading_joins_lines_expands_variables_and_reads_the_exit_code() -> None:
    text = (
        "```sh\n"
        'Q="kommundialog query"\n'
        "$Q \"SELECT 1 AS '#'\"   # exits 2: a reason\n"
        "```\n"
        "```\n"
        "kommundialog not-a-shell-block\n"
        "```\n"
        "  ```sh\n"
        "  .venv/bin/kommundialog extract page.html \\\n"
        "      --url https://www.example.se/a.html  # the page\n"
        "  ```\n"
    )
    examples = readme_examples(text)
    assert [(e.line, e.argv, e.exit_code) for e in examples] == [
        (3, ("kommundialog", "query", "SELECT 1 AS '#'"), 2),
        (9, (".venv/bin/kommundialog", "extract", "page.html", "--url", "https://www.example.se/a.html"), 0),
    ]
    assert skip_reason(examples[1]) is None  # a saved file: no network needed


def test_skip_rules_name_what_cannot_run() -> None:
    text = (
        "```sh\n"
        "kommundialog serve-catalogue\n"
        "kommundialog schedule\n"
        "kommundialog demo --serve-only\n"
        "kommundialog discover https://www.example.se/\n"
        "kommundialog extract --url https://www.example.se/a.html\n"
        "kommundialog backup DIR\n"
        "kommundialog run --dask-address tcp://SCHEDULER:8786\n"
        "kommundialog query \"SELECT * FROM meetings WHERE meeting_id = 'm-...'\"\n"
        "kommundialog schedule --prefect-yaml prefect.yaml\n"
        'kommundialog query "SELECT * FROM upcoming_meetings"\n'
        "kommundialog extract --url http://127.0.0.1:8701/a.html\n"
        "```\n"
    )
    reasons = [skip_reason(e) for e in readme_examples(text)]
    assert reasons == [
        "serves until Ctrl-C",
        "serves until Ctrl-C",
        "serves until Ctrl-C",
        "needs the internet",
        "needs the internet",
        "holds a placeholder, not a value",
        "holds a placeholder, not a value",
        "holds a placeholder, not a value",
        None,
        None,
        None,
    ]
