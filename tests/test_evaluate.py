"""The evaluation harness: it scores right answers as right and wrong ones as wrong."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.evaluate import LabelError, evaluate, load_corpus
from tests.conftest import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "tests" / "corpus" / "seeds"
CLI = Path(sys.executable).parent / "kommundialog"


def test_seed_pages_score_perfectly() -> None:
    scores = evaluate(load_corpus([SEEDS]))
    assert (scores.pages, scores.seed_checks.hits, scores.seed_checks.total) == (5, 5, 5)
    assert scores.f1 == 1.0 and scores.mistakes == []


def _copy_seed_with(tmp_path: Path, name: str, **changes: object) -> Path:
    label = json.loads((SEEDS / f"{name}.json").read_text(encoding="utf-8"))
    label["html"] = str((SEEDS / label["html"]).resolve())
    label.update(changes)
    (tmp_path / f"{name}.json").write_text(json.dumps(label), encoding="utf-8")
    return tmp_path


def test_wrong_label_lowers_scores_and_names_the_mistake(tmp_path: Path) -> None:
    wrong_meeting = {
        "date": "2024-05-28",
        "start": "18:00",
        "end": "20:00",
        "place": "Oasen",
        "attendance": "in_person",
        "status": "scheduled",
    }
    extra = {
        "date": "2024-06-04",
        "start": None,
        "end": None,
        "place": None,
        "attendance": None,
        "status": "scheduled",
    }
    folder = _copy_seed_with(tmp_path, "seed-000-nordmaling", meetings=[wrong_meeting, extra])
    scores = evaluate(load_corpus([folder]))
    assert scores.fields["start"].ratio == 0.0
    assert scores.recall == 0.5 and scores.precision == 1.0
    assert "seed-000-nordmaling: 2024-05-28 start '17:30', expected '18:00'" in scores.mistakes
    assert "seed-000-nordmaling: missed meeting 2024-06-04" in scores.mistakes
    assert scores.seed_checks.hits == 0


def test_label_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{}", encoding="utf-8")
    with pytest.raises(LabelError, match=r"broken\.json: missing key"):
        load_corpus([tmp_path])


def test_cli_prints_the_table(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    for path in (tmp_path / "seeds").glob("*.json"):
        label = json.loads(path.read_text(encoding="utf-8"))
        label["html"] = str((SEEDS / label["html"]).resolve())
        path.write_text(json.dumps(label), encoding="utf-8")
    result = subprocess.run(
        [str(CLI), "evaluate", str(tmp_path / "seeds")], capture_output=True, text=True, check=True
    )
    assert "meeting F1                                1.000" in result.stdout
    assert "seed pages fully right                    1.000  5/5" in result.stdout


REAL_PAGES = PROJECT_ROOT.parent / "shared" / "real-pages"


def _write_text_corpus(folder: Path) -> Path:
    """Two text pages in the shared format, written for this test."""
    pages = folder / "pages"
    pages.mkdir(parents=True)
    (pages / "t1.txt").write_text(
        "URL: https://www.ekby.se/rad/seniorradet\nRETRIEVED-AS: full\n\nSeniorrådet\n\n"
        "Rådets möten 2026\n\n  • 5 mars kl. 13-15\n  • 4 juni kl. 13-15\n\n"
        "Mötena hålls i Havssalen, kommunhuset.\n",
        encoding="utf-8",
    )
    (pages / "t2.txt").write_text(
        "URL: https://www.ekby.se/om-radet\nRETRIEVED-AS: full\n\nOm rådet\n\n"
        "Rådet träffas fyra gånger om året. Sidan uppdaterad 2026-01-10.\n",
        encoding="utf-8",
    )
    labels = [
        {
            "file": "t1.txt",
            "url": "https://www.ekby.se/rad/seniorradet",
            "kind": "meeting_series",
            "meetings": [
                {
                    "date": "2026-03-05",
                    "start": "13:00",
                    "end": "15:00",
                    "status": "scheduled",
                    "place": "Havssalen",
                },
                {
                    "date": "2026-06-04",
                    "start": "13:00",
                    "end": "16:00",
                    "status": "scheduled",
                    "place": "Havssalen",
                },
                {"date": "2026-09-10", "start": None, "end": None, "status": "scheduled", "place": None},
            ],
        },
        {"file": "t2.txt", "url": "https://www.ekby.se/om-radet", "kind": "not_a_meeting", "meetings": []},
    ]
    (folder / "expected.jsonl").write_text("\n".join(json.dumps(x) for x in labels) + "\n", encoding="utf-8")
    return folder


def test_text_corpus_is_scored_as_the_shared_scorer_scores_it(tmp_path: Path) -> None:
    folder = _write_text_corpus(tmp_path / "real")
    run = subprocess.run(
        [str(CLI), "evaluate", str(folder), "--mistakes"], capture_output=True, text=True, check=True
    )
    assert (
        "meetings F1 0.800 (P 1.000 R 0.667; tp 2 fp 0 fn 1); kind 2/2; "
        "start 1.00 end 0.50 status 1.00 place 1.00" in run.stdout.splitlines()
    )
    assert "t1.txt: kind meeting (label meeting_series), tp 2 fp 0 fn 1" in run.stdout
    assert "t1.txt: missed meeting 2026-09-10" in run.stdout
    assert "t1.txt: 2026-06-04 end '15:00', expected '16:00'" in run.stdout
    assert any(line.startswith("not_a_meeting: 1 pages;") for line in run.stdout.splitlines())


@pytest.mark.skipif(not (REAL_PAGES / "expected.jsonl").is_file(), reason="../shared/real-pages is absent")
def test_real_pages_reach_the_issue_targets() -> None:
    run = subprocess.run([str(CLI), "evaluate", str(REAL_PAGES)], capture_output=True, text=True, check=True)
    last = run.stdout.strip().splitlines()[-1]
    figures = dict(re.findall(r"(F1|start|end|status|place) ([\d.]+)", last))
    kind_hits, kind_total = (int(x) for x in re.search(r"kind (\d+)/(\d+)", last).groups())
    assert float(figures["F1"]) >= 0.95, last
    assert kind_hits / kind_total >= 0.90, last
    assert all(float(figures[name]) >= 0.90 for name in ("start", "end", "status", "place")), last
