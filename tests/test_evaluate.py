"""The evaluation harness: it scores right answers as right and wrong ones as wrong."""

from __future__ import annotations

import json
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
