"""`riftlab report eval` checked in headless Chromium, and the `evaluate` stage of `riftlab run`."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from riftlab.commands.reports import report_eval
from riftlab.stages.evaluate import run_stage
from tests.browser import CHROMIUM, offline_chromium
from tests.evaluation.projects import add_training_run
from training.bases import minilm_path
from warehouse.errors import StageSkipped
from warehouse.project import Project

# 1x1 PNG standing in for training's loss_curves.png
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def trained_copy(tmp_path: Path) -> Path:
    """A stand-in embed checkpoint: the MiniLM folder copied, with a loss-curve PNG beside it."""
    target = tmp_path / "runs" / "embed-test" / "final"
    shutil.copytree(minilm_path(), target)
    (target / "loss_curves.png").write_bytes(PNG)
    return target


def test_stage_evaluates_base_and_latest_embed_run_and_writes_the_report(
    eval_project: Project, trained_copy: Path, tmp_path: Path
):
    # evaluation.tasks narrows the stage to two embedding tasks (keeps the test quick) and a language-model task,
    # which the stage leaves to `riftlab eval --model <clm/sft run>`: it scores embedders
    (eval_project.root / "riftlab.yaml").write_text(
        "name: evaltest\nevaluation:\n  tasks: [ChampionSubclassClustering, ChampionSubclassNeighbours,"
        " ChampionAttackTypeClosedBook]\n"
    )
    eval_project = Project.load(eval_project.root)
    con = eval_project.connect()
    try:  # the closed-book task's tables exist, so only its family keeps it out
        con.execute("CREATE TABLE IF NOT EXISTS main.instruct_pairs (pair_id VARCHAR)")
        con.execute("CREATE TABLE IF NOT EXISTS main.int_champion_facts (champion_key VARCHAR)")
    finally:
        con.close()
    add_training_run(eval_project, "embed-old", None, status="failed")
    add_training_run(eval_project, "clm-1", None, stage="clm", metrics='{"eval_loss": 2.0, "eval_perplexity": 7.389}')
    add_training_run(eval_project, "embed-test", trained_copy)
    summary = run_stage(eval_project, Console(width=160, record=True))
    assert "2 evaluation(s) run" not in summary and "4 evaluation(s) run" in summary
    assert "for minilm, embed-test" in summary
    assert "ChampionSubclassClustering:heldout:v_measure" in summary
    con = eval_project.connect(read_only=True)
    try:
        models_scored = {row[0] for row in con.execute("SELECT DISTINCT model FROM meta.eval_results").fetchall()}
        run_ids = {
            row[0]
            for row in con.execute(
                "SELECT DISTINCT run_id FROM meta.eval_results WHERE model = 'embed-test'"
            ).fetchall()
        }
    finally:
        con.close()
    assert models_scored == {"minilm", "embed-test"} and run_ids == {"embed-test"}

    report = eval_project.reports_dir / "eval.html"
    assert report.is_file()
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): the report was written but not rendered")
    dom = offline_chromium(report.as_uri(), tmp_path / "chromium-profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert page.count('class="pca"') == 2  # one PCA map per model
    assert 'alt="loss curve of run embed-test"' in page
    assert "eval_perplexity = 7.389" in page  # the CLM run's validation perplexity
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", page, re.S).group(1)
    assert "minilm" in header and "embed-test" in header
    # the copy equals the base, so every delta is +0.000, and nearest neighbours are listed for Ahri
    assert "(+0.000)" in page and '<td class="name">Ahri</td>' in page
    shot = tmp_path / "report.png"
    result = offline_chromium(
        report.as_uri(), tmp_path / "chromium-profile", f"--screenshot={shot}", "--window-size=1280,2000"
    )
    assert result.returncode == 0 and shot.stat().st_size > 20_000


def test_report_marks_the_best_model_in_bold(evaluated_project: Project, tmp_path: Path):
    con = evaluated_project.connect()
    try:  # a second model that scores higher on one row only
        con.execute(
            "INSERT INTO meta.eval_results SELECT 'better', NULL, task, split, metric, value + 0.1, is_main, "
            "evaluated_at, data_snapshot_id FROM meta.eval_results "
            "WHERE model = 'minilm' AND task = 'ChampionSubclassClustering' AND split = 'heldout'"
        )
    finally:
        con.close()
    result = CliRunner().invoke(report_eval, ["--project-dir", str(evaluated_project.root)], catch_exceptions=False)
    assert result.exit_code == 0
    page = (evaluated_project.reports_dir / "eval.html").read_text()
    row = re.search(r"ChampionSubclassClustering</td><td class=\"name\">heldout</td>.*?</tr>", page, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert "<b>" not in cells[0] and "<b>" in cells[1] and "(+0.100)" in cells[1]
    other = re.search(r"ChampionClassClustering</td><td class=\"name\">all</td>.*?</tr>", page, re.S).group(0)
    assert "<b>" not in other  # a row only one model has is not a contest
    assert "better" in page and "not an existing folder" in page  # its map cannot be drawn: said so


def test_stage_skips_without_champions(tmp_path: Path):
    root = tmp_path / "empty"
    root.mkdir()
    (root / "riftlab.yaml").write_text("name: empty\n")
    project = Project.load(root)
    project.connect().close()
    with pytest.raises(StageSkipped, match=r"riftlab build --select champions"):
        run_stage(project, Console())
