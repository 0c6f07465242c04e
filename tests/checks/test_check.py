"""``riftlab check``: suites run with GX, results stored, Data Docs rendered, failures named with rows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.checks.checker import run_checks
from warehouse.checks.gate import blocking_outcomes
from warehouse.checks.suites import load_suites
from warehouse.errors import RiftlabError, WarehouseError

REPO = Path(__file__).resolve().parents[2]


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_passing_warehouse_passes_every_suite_and_renders_data_docs(checks_project):
    run = run_checks(checks_project)
    suites = load_suites(checks_project.transforms_dir, checks_project.root)
    assert [o.headline() for o in run.failures] == []
    assert len(run.outcomes) == sum(len(s.expectations) for s in suites)
    assert set(run.tables) == {s.table for s in suites}

    con = checks_project.connect(read_only=True)
    try:
        stored = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE success), count(DISTINCT table_name) "
            "FROM meta.check_results WHERE check_run_id = ?",
            [run.check_run_id],
        ).fetchone()
    finally:
        con.close()
    assert stored == (len(run.outcomes), len(run.outcomes), len(suites))

    index = run.docs_index
    assert index == checks_project.reports_dir / "data-docs" / "index.html" and index.is_file()
    html = index.read_text(encoding="utf-8")
    for batch in (
        "champions",
        "champions.positions[*]",
        "triplets.triplets_obey_their_rule",
        "corpus_chunks.no_patch_dependent_text",
    ):
        assert batch in html, f"{batch} missing from the Data Docs index"
    pages = list((index.parent / "validations").rglob("*.html"))
    champion_page = next(p for p in pages if p.parent.parent.parent.name == "champions")
    text = _text(champion_page.read_text(encoding="utf-8"))
    assert "champion_key" in text and "Succeeded" in text
    summary = run.summary_page.read_text(encoding="utf-8")
    assert f"{len(run.outcomes)} of {len(run.outcomes)} expectations passed" in _text(summary)
    assert 'href="data-docs/index.html"' in summary


# (table, SQL that breaks it, expectation that must fail, text its failing sample must show)
BREAKS = [
    (
        "champions",
        "UPDATE main.champions SET positions = [] WHERE champion_key = 'Lulu'",
        "every_champion_has_a_position_and_a_class",
        "Lulu",
    ),
    (
        "champions",
        "UPDATE main.champions SET classes = NULL WHERE champion_key = 'Garen'",
        "every_champion_has_a_position_and_a_class",
        "Garen",
    ),
    (
        "champions",
        "UPDATE main.champions SET positions = ['Mid'] WHERE champion_key = 'Ahri'",
        "expect_column_values_to_be_in_set(positions[*])",
        "Mid",
    ),
    (
        "champions",
        "UPDATE main.champions SET subclasses = ['Juggernaut', 'Bruiser'] WHERE champion_key = 'Garen'",
        "expect_column_values_to_be_in_set(subclasses[*])",
        "Bruiser",
    ),
    (
        "champions",
        "INSERT INTO main.champions SELECT * FROM main.champions WHERE champion_key = 'Vi'",
        "expect_column_values_to_be_unique(champion_key)",
        "Vi",
    ),
    ("champions", "DELETE FROM main.champions", "expect_table_row_count_to_be_between", "0"),
    (
        "triplets",
        "UPDATE main.triplets SET negative = 'Garen', negative_champion = 'Garen' WHERE triplet_id = 't1'",
        "triplets_obey_their_rule",
        "negative shares position, class, subclass with the anchor",
    ),
    (
        "triplets",
        "UPDATE main.triplets SET positive = 'Jinx', positive_champion = 'Jinx' WHERE triplet_id = 't3'",
        "triplets_obey_their_rule",
        "positive shares no position with the anchor",
    ),
    (
        "triplets",
        "UPDATE main.triplets SET negative = 'Jinx', negative_champion = 'Jinx' WHERE triplet_id = 't2'",
        "triplets_obey_their_rule",
        "hard negative shares no class with the anchor",
    ),
    (
        "triplets",
        "UPDATE main.triplets SET rule = 'same_vibe' WHERE triplet_id = 't1'",
        "triplets_obey_their_rule",
        "rule same_vibe is not in transforms/rules/triplets.yml",
    ),
    (
        "triplets",
        "UPDATE main.triplets SET anchor = 'Leona', anchor_champion = 'Leona', positive_champion = 'Leona', "
        "negative_champion = 'Lulu' WHERE triplet_id = 't4'",
        "triplets_obey_their_rule",
        "negative chunk's champion shares position",
    ),
    (
        "triplets",
        "UPDATE main.triplets SET anchor = 'Lux', positive = 'Ahri', anchor_champion = 'Lux', "
        "positive_champion = 'Ahri' WHERE triplet_id = 't1'",
        "triplets_obey_their_rule",
        "champions outside the triplet's split: validation/train/train",
    ),
    (
        "triplets",
        "UPDATE main.triplets SET negative_champion = 'Ahri' WHERE triplet_id = 't4'",
        "triplets_obey_their_rule",
        "negative chunk is about the anchor champion",
    ),
    (
        "triplets",
        "INSERT INTO main.triplets VALUES "
        "('t6', 'champion', 'Wukong', 'Aatrox', 'Jinx', 'MonkeyKing', 'Aatrox', 'Jinx', 'same_position', 'train')",
        "heldout_champions_absent_from_training",
        "MonkeyKing",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET text = 'Deals 14 / 12 / 10 / 8 / 6 damage.' WHERE chunk_id = 'wiki:Vi#1'",
        "no_patch_dependent_text",
        "14 / 12 / 10 / 8 / 6",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET text = 'As of patch 14.3 the dash is faster.' WHERE chunk_id = 'wiki:Vi#2'",
        "no_patch_dependent_text",
        "patch_reference",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET text = 'Heals for 60 - 90% AD.' WHERE chunk_id = 'wiki:Ahri#1'",
        "no_patch_dependent_text",
        "ratio_range",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET section = 'Vi > Patch history' WHERE chunk_id = 'wiki:Vi#1'",
        "no_patch_dependent_text",
        "patch_history_section",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET n_tokens = 5000 WHERE chunk_id = 'wiki:Jinx#1'",
        "chunk_tokens_within_bounds",
        "5000",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET n_tokens = 10 WHERE split = 'validation'",
        "split_ratio_within_tolerance",
        "0.0411",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET split = 'validation' WHERE chunk_id = 'wiki:Aatrox#2'",
        "one_split_per_champion",
        "Aatrox",
    ),
    (
        "corpus_chunks",
        "UPDATE main.corpus_chunks SET chunk_id = 'wiki:Lux#1' WHERE chunk_id = 'wiki:Lux#2'",
        "expect_column_values_to_be_unique(chunk_id)",
        "wiki:Lux#1",
    ),
    (
        "corpus_documents",
        "UPDATE main.corpus_documents SET split = 'validation' WHERE document_id = 'wiki:Aatrox-mirror'",
        "no_near_duplicate_across_splits",
        "wiki:Aatrox-mirror",
    ),
    (
        "corpus_documents",
        "UPDATE main.corpus_documents SET content_hash = 'h-Lux' WHERE document_id = 'wiki:Ahri'",
        "no_exact_duplicate_across_splits",
        "h-Lux",
    ),
    (
        "champion_fact_conflicts",
        "INSERT INTO main.champion_fact_conflicts SELECT * FROM main.champion_fact_conflicts",
        "expect_compound_columns_to_be_unique(champion_key,fact_type)",
        "Aatrox",
    ),
    (
        "champion_mask_terms",
        "DELETE FROM main.champion_mask_terms WHERE champion = 'Leona'",
        "every_champion_has_terms",
        "Leona",
    ),
    (
        "champion_mask_terms",
        "UPDATE main.champion_mask_terms SET mask_terms = ['Wukong'] WHERE champion = 'MonkeyKing'",
        "terms_include_name_and_key",
        "MonkeyKing",
    ),
    (
        "instruct_pairs",
        "UPDATE main.instruct_pairs SET messages = "
        "[{'role': 'user', 'content': 'hi'}, {'role': 'user', 'content': 'hello?'}] WHERE pair_id = 'p1'",
        "messages_are_well_formed_chats",
        "p1",
    ),
]


@pytest.mark.parametrize(("table", "sql", "expectation", "culprit"), BREAKS, ids=[f"{b[0]}-{b[2]}" for b in BREAKS])
def test_each_break_fails_its_expectation_with_failing_rows(checks_project, execute, table, sql, expectation, culprit):
    checks_project.config["checks"] = {"data_docs": False}  # rendered by the other tests; saves time here
    execute(sql)
    run = run_checks(checks_project, select=[table])
    failed = {o.expectation.name: o for o in run.failures}
    assert expectation in failed, f"expected {expectation} to fail; failed: {sorted(failed)}"
    outcome = failed[expectation]
    assert outcome.error is None
    sample = json.dumps(outcome.failing_sample, default=str) + " " + str(outcome.observed)
    assert culprit in sample
    assert expectation in run.failure_message() and culprit in run.failure_message() + str(outcome.observed)

    con = checks_project.connect()
    try:
        stored = con.execute(
            "SELECT success, failing_sample::VARCHAR, observed FROM meta.check_results "
            "WHERE check_run_id = ? AND expectation = ?",
            [run.check_run_id, expectation],
        ).fetchone()
        # The gate decides as `riftlab check` does on every blocking expectation of the table.
        gate = {o.expectation.name: o.success for o in blocking_outcomes(con, checks_project, table, f'main."{table}"')}
    finally:
        con.close()
    assert stored[0] is False and culprit in (stored[1] + stored[2])
    checked = {o.expectation.name: o.success for o in run.outcomes if o.expectation.blocking}
    assert gate == checked


def test_a_missing_table_names_the_build_target(checks_project, execute):
    execute("DROP TABLE main.triplets")
    with pytest.raises(WarehouseError) as caught:
        run_checks(checks_project)
    message = str(caught.value)
    assert "main.triplets" in message and "`riftlab build --select triplets` makes it" in message
    assert "champions" not in message.split("main.triplets")[0]

    run = run_checks(checks_project, skip_missing=True)
    assert [s.table for s in run.skipped] == ["triplets"] and not run.failures


def test_bad_sql_in_a_suite_is_reported_as_that_expectation_failing(checks_project):
    path = checks_project.transforms_dir / "expectations" / "champions.yml"
    path.write_text(
        path.read_text() + "  - name: broken\n    sql: SELECT champion_ky FROM {{ this }}\n", encoding="utf-8"
    )
    run = run_checks(checks_project, select=["champions"])
    (broken,) = run.failures
    assert broken.expectation.name == "broken" and "champion_ky" in broken.error
    assert "transforms/expectations/champions.yml" in broken.error


def test_cli_exits_non_zero_naming_the_expectation_and_rows(checks_project, execute):
    execute("UPDATE main.champions SET positions = [] WHERE champion_key = 'Lulu'")
    program = (
        "import sys; from riftlab.cli import cli, main; from riftlab.commands.check import check; "
        "cli.add_command(check); main(sys.argv[1:])"
    )
    env = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"}
    args = [
        sys.executable,
        "-c",
        program,
        "check",
        "--project-dir",
        str(checks_project.root),
        "--db",
        str(checks_project.db_path),
    ]
    failed = subprocess.run(
        [*args, "--select", "champions"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert failed.returncode == 1, failed.stderr
    assert "error: 1 of 11 expectation(s) failed (1 blocking)" in failed.stderr
    assert "champions.every_champion_has_a_position_and_a_class [blocking]: 1 failing row(s)" in failed.stderr
    assert '"champion_key": "Lulu"' in failed.stderr
    assert "FAIL champions.every_champion_has_a_position_and_a_class [blocking]: 1 failing row(s)" in failed.stdout
    assert "Traceback" not in failed.stderr

    from click.testing import CliRunner

    from riftlab.commands.check import check

    passed = CliRunner().invoke(check, [*args[4:], "--select", "corpus_documents"])
    assert passed.exit_code == 0, passed.output
    assert "expectations on 1 tables passed" in passed.output and "data-docs/index.html" in passed.output


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")
def test_data_docs_render_in_a_headless_browser(checks_project, execute):
    execute("UPDATE main.triplets SET negative = 'Garen', negative_champion = 'Garen' WHERE triplet_id = 't1'")
    run = run_checks(checks_project, select=["triplets"])

    def dom(page: Path) -> str:
        shown = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert shown.returncode == 0, shown.stderr[-500:]
        return _text(shown.stdout)

    index = dom(run.docs_index)
    assert "Data Docs | riftlab" in index and "Validation Results" in index and "Expectation Suites" in index
    failed_page = next((run.docs_index.parent / "validations").rglob("*triplets.triplets_obey_their_rule*.html"))
    failed = dom(failed_page)
    assert "Status: Failed" in failed and "Must have exactly 0 rows." in failed
    summary = _text(run.summary_page.read_text(encoding="utf-8"))
    assert "triplets.triplets_obey_their_rule: failing rows (sample)" in summary
    assert "negative shares position, class, subclass with the anchor" in summary


def test_run_stage_checks_what_is_built_and_fails_on_failures(checks_project, execute):
    from rich.console import Console

    from riftlab.stages.check import run_stage
    from warehouse.checks.checker import ChecksFailed

    execute("DROP TABLE main.instruct_pairs")
    summary = run_stage(checks_project, Console(quiet=True))
    built = [s for s in load_suites(checks_project.transforms_dir, checks_project.root) if s.table != "instruct_pairs"]
    expected = (
        f"{sum(len(s.expectations) for s in built)} expectations on {len(built)} tables passed; "
        "not built yet: instruct_pairs; Data Docs "
    )
    assert summary.startswith(expected)

    execute("UPDATE main.triplets SET split = 'test' WHERE triplet_id = 't5'")
    with pytest.raises(ChecksFailed) as caught:
        run_stage(checks_project, Console(quiet=True))
    assert "triplets.expect_column_values_to_be_in_set(split) [blocking]: 1 unexpected" in str(caught.value)
    assert '"triplet_id": "t5"' in str(caught.value)


def _site(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_data_docs_that_cannot_be_written_leave_the_previous_site_whole(checks_project):
    """A check that fails while writing Data Docs (here: a 1 MB file size cap) keeps the last complete site."""
    import resource

    docs = run_checks(checks_project).docs_index.parent
    before = _site(docs)
    summary_before = (checks_project.reports_dir / "checks.html").read_bytes()

    def cap_file_size():  # Python ignores SIGXFSZ: a write past the cap fails with 'File too large'
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "riftlab.cli",
            "check",
            "--project-dir",
            str(checks_project.root),
            "--db",
            str(checks_project.db_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        preexec_fn=cap_file_size,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "Data Docs" in lines[0] and "File too large" in lines[0], lines[0]
    assert _site(docs) == before
    assert (checks_project.reports_dir / "checks.html").read_bytes() == summary_before
    assert sorted(p.name for p in checks_project.reports_dir.iterdir()) == ["checks.html", "data-docs"]


GX_FREE = """
import json, sys
from warehouse.checks.checker import run_checks
from warehouse.checks.gate import blocking_failures
from warehouse.project import Project

project = Project.load(sys.argv[1], sys.argv[2])
run = run_checks(project, select=["champions"])
con = project.connect()
gate = blocking_failures(con, project, "champions", 'main."champions"')
con.close()
print(json.dumps({"check": [o.headline() for o in run.failures], "gate": [line.splitlines()[0] for line in gate],
                  "docs": run.docs_index is not None, "gx": "great_expectations" in sys.modules}))
"""


def test_check_and_gate_evaluate_without_great_expectations(checks_project, execute):
    """GX only renders Data Docs: with them off, `riftlab check` and the gate decide alike, GX never imported."""
    execute("UPDATE main.champions SET positions = ['Mid'] WHERE champion_key = 'Ahri'")
    (checks_project.root / "riftlab.yaml").write_text("name: riftlab\nchecks:\n  data_docs: false\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
    args = [sys.executable, "-c", GX_FREE, str(checks_project.root), str(checks_project.db_path)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    (failure,) = said["check"]
    assert failure.startswith("champions.expect_column_values_to_be_in_set(positions[*]) [blocking]: 1 unexpected")
    assert said["gate"] == said["check"]
    assert not said["docs"] and not said["gx"]


def test_a_python_error_in_a_sql_expectation_is_one_line_naming_it(checks_project):
    """Expectations render like models: a Jinja expression that raises names the suite, not a traceback."""
    path = checks_project.transforms_dir / "expectations" / "champions.yml"
    path.write_text(
        path.read_text() + "  - name: broken\n    sql: SELECT {{ 1/0 }} FROM {{ this }}\n", encoding="utf-8"
    )
    with pytest.raises(RiftlabError) as caught:
        run_checks(checks_project, select=["champions"])
    assert str(caught.value) == (
        "transforms/expectations/champions.yml (expectation 'broken'):1: "
        "Jinja error: ZeroDivisionError: division by zero"
    )
