"""`riftlab train` / `riftlab runs` as click commands, and the `riftlab run` stage."""

from __future__ import annotations

import json

from click.testing import CliRunner

FAST = [
    "--set",
    "invert.steps=20",
    "--set",
    "name_vectors.steps=20",
    "--set",
    "max_seq_length=32",
    "--set",
    "max_validation_triplets=16",
]


def test_train_and_runs_commands_and_stage(project):
    from rich.console import Console

    from riftlab.commands.train import runs, train
    from riftlab.stages.train import run_stage

    runner = CliRunner()
    result = runner.invoke(train, ["embed", "--project-dir", str(project.root), *FAST])
    assert result.exit_code == 0, result.output
    assert "validation_accuracy" in result.output and "checkpoint:" in result.output

    bad = runner.invoke(train, ["embed", "--project-dir", str(project.root), "--set", "epochz=1"])
    assert bad.exit_code != 0 and "unknown key 'epochz'" in str(bad.exception)

    listed = runner.invoke(runs, ["--project-dir", str(project.root), "--json"])
    rows = json.loads(listed.output)
    assert [r["status"] for r in rows] == ["finished"] and rows[0]["stage"] == "embed"
    table = runner.invoke(runs, ["--project-dir", str(project.root)])
    assert rows[0]["run_id"] in table.output.replace("\n", "")

    (project.root / "riftlab.yaml").write_text(
        "name: test\nwarehouse:\n  path: data/test.duckdb\n"
        "training:\n  num_threads: 1\n  presets:\n    embed: tests_fast.yaml\n",
        encoding="utf-8",
    )
    (project.root / "tests_fast.yaml").write_text(
        "stage: embed\nmax_seq_length: 32\nmax_validation_triplets: 16\nsteps:\n  - triplets: {epochs: 1}\n"
    )
    from warehouse.project import Project

    summary = run_stage(Project.load(project.root), Console(quiet=True))
    assert summary.startswith("embed embed-") and "validation triplet accuracy" in summary
    listed = json.loads(runner.invoke(runs, ["--project-dir", str(project.root), "--json", "--stage", "embed"]).output)
    assert len(listed) == 2 and listed[0]["preset"] == "tests_fast"
