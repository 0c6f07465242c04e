"""riftlab.yaml is checked to the value: every key typed with an allowed range or set, one line per mistake.

Each test writes a riftlab.yaml to tmp_path and drives the real loader; the message
must name the file, the key, the value and what is allowed (red-team rows 9 and 10
of issue 14 among them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.config import SECTIONS, defaults, json_schema, load_config, project_model, validate
from warehouse.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _refusal(tmp_path: Path, text: str) -> str:
    """The one-line ConfigError that loading ``text`` as riftlab.yaml raises."""
    path = tmp_path / "riftlab.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message.removeprefix(f"{path}: ")


def _loaded(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "riftlab.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_the_repository_config_validates_and_round_trips():
    config = load_config(REPO / "riftlab.yaml")
    assert list(config) == list(SECTIONS)
    assert validate(project_model(), config, "again") == config  # what readers get is itself valid
    assert set(defaults()["vars"]) <= set(config["vars"])


def setting_leaves(schema: dict, node: dict, path: str):
    """(dotted path, schema node) of every setting in ``node`` (a user's own var excepted)."""
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    options = [n for n in node.get("anyOf", []) if n.get("type") != "null"]
    if len(options) == 1:
        yield from setting_leaves(schema, options[0], path)
    elif "properties" in node:
        for key, child in node["properties"].items():
            yield from setting_leaves(schema, child, f"{path}.{key}".lstrip("."))
    elif isinstance(node.get("additionalProperties"), dict):
        yield from setting_leaves(schema, node["additionalProperties"], f"{path}.*")
    elif node.get("type") == "array":
        yield from setting_leaves(schema, node["items"], f"{path}[]")
    else:
        yield path, node


def test_every_key_has_a_type_and_every_number_a_range():
    schema = json_schema()
    leaves = dict(setting_leaves(schema, schema, ""))
    assert {
        "crawl.concurrent_requests",
        "vars.validation_ratio",
        "augment.prices.*.input",
        "crawl.after_crawl[]",
    } <= set(leaves)
    untyped = [path for path, node in leaves.items() if not ({"type", "enum", "const"} & set(node))]
    unbounded = [
        path
        for path, node in leaves.items()
        if node.get("type") in ("integer", "number") and not ({"minimum", "exclusiveMinimum"} & set(node))
    ]
    assert untyped == [] and unbounded == []


# -- row 9: crawl settings ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("concurrent_requests", -1, "1 or more"),
        ("concurrent_requests", 0, "1 or more"),
        ("concurrent_requests_per_domain", 0, "1 or more"),
        ("autothrottle_target_concurrency", 0, "above 0"),
        ("download_delay", -0.5, "0 or more"),
        ("download_timeout", 0, "above 0"),
        ("retry_times", -1, "0 or more"),
        ("redirect_max_times", -2, "0 or more"),
        ("max_page_bytes", 1000, "1024 or more"),
    ],
)
def test_numeric_crawl_settings_are_bounded(tmp_path, key, value, allowed):
    assert _refusal(tmp_path, f"crawl:\n  {key}: {value}\n") == f"crawl.{key} must be {allowed}, got {value!r}"


def test_a_fractional_or_textual_count_is_refused(tmp_path):
    assert _refusal(tmp_path, "crawl:\n  concurrent_requests: 2.5\n") == (
        "'crawl.concurrent_requests' must be a number (integer, 1 or more), got 2.5"
    )
    assert _refusal(tmp_path, "crawl:\n  concurrent_requests: '16'\n") == (
        "'crawl.concurrent_requests' must be a number (integer, 1 or more), got '16'"
    )


def test_row9_negative_concurrency_stops_the_crawl_before_it_starts(tmp_path):
    """Row 9: `crawl.concurrent_requests: -1` used to hang the crawl silently; now nothing runs, one line, rc 1."""
    (tmp_path / "riftlab.yaml").write_text("name: t\ncrawl:\n  concurrent_requests: -1\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "riftlab.cli",
            "--project-dir",
            str(tmp_path),
            "crawl",
            "meraki",
            "--url",
            "http://127.0.0.1:9/x.json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"error: {tmp_path / 'riftlab.yaml'}: crawl.concurrent_requests must be 1 or more, got -1"
    )
    assert not (tmp_path / "data").exists()  # no warehouse, no landing


def test_cron_expressions_are_checked_and_empty_means_never(tmp_path):
    allowed = "a cron expression such as '0 3 * * 1' (minute hour day month weekday), or '' / null for never"
    assert (
        _refusal(tmp_path, "schedules:\n  wiki: '61 * * * *'\n")
        == f"schedules.wiki must be {allowed}, got '61 * * * *'"
    )
    assert (
        _refusal(tmp_path, "schedules:\n  forum: every day\n") == f"schedules.forum must be {allowed}, got 'every day'"
    )
    schedules = _loaded(tmp_path, "schedules:\n  wiki: ''\n  forum: null\n  meraki: '*/30 * * * *'\n")["schedules"]
    assert (schedules["wiki"], schedules["forum"], schedules["meraki"]) == ("", None, "*/30 * * * *")
    assert (
        _refusal(tmp_path, "schedules:\n  lolwiki: '0 3 * * *'\n")
        == "unknown key 'schedules.lolwiki' (did you mean 'wiki'?)"
    )


def test_crawl_sets(tmp_path):
    levels = "CRITICAL, ERROR, WARNING, INFO, DEBUG"
    assert _refusal(tmp_path, "crawl:\n  log_level: LOUD\n") == f"crawl.log_level 'LOUD' is not one of {levels}"
    assert _refusal(tmp_path, "crawl:\n  log_level: warning\n") == (
        f"crawl.log_level 'warning' is not one of {levels} (did you mean 'WARNING'?)"
    )
    assert _refusal(tmp_path, "crawl:\n  sink: s3\n") == "crawl.sink 's3' is not one of duckdb, parquet"
    assert _refusal(tmp_path, "crawl:\n  after_crawl: [build, chek]\n") == (
        "crawl.after_crawl[1] 'chek' is not one of build, check (did you mean 'check'?)"
    )
    assert (
        _refusal(tmp_path, "crawl:\n  obey_robots_txt: 'yes'\n")
        == "'crawl.obey_robots_txt' must be true or false, got 'yes'"
    )
    assert _refusal(tmp_path, "sources:\n  meraki:\n    start_urls: ['ftp://host/x.json']\n") == (
        "sources.meraki.start_urls[0] must be an http://, https:// or file:// URL, got 'ftp://host/x.json'"
    )


def test_the_two_new_keys_have_defaults_and_bounds(tmp_path):
    config = _loaded(tmp_path, "name: t\n")
    assert config["warehouse"]["demo_path"] == "data/demo/riftlab.duckdb"
    assert config["crawl"]["max_page_bytes"] == 5_000_000
    changed = _loaded(tmp_path, "warehouse:\n  demo_path: elsewhere/demo.duckdb\ncrawl:\n  max_page_bytes: 1024\n")
    assert changed["warehouse"]["demo_path"] == "elsewhere/demo.duckdb" and changed["crawl"]["max_page_bytes"] == 1024
    assert _refusal(tmp_path, "warehouse:\n  demo_path: ''\n") == "warehouse.demo_path must be non-empty text, got ''"


# -- row 10: vars and the warehouse --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("vars:\n  validation_ratio: 5\n", "vars.validation_ratio must be above 0 and below 1, got 5"),
        ("vars:\n  validation_ratio: -0.5\n", "vars.validation_ratio must be above 0 and below 1, got -0.5"),
        ("vars:\n  validation_ratio: 0\n", "vars.validation_ratio must be above 0 and below 1, got 0"),
        (
            "vars:\n  validation_ratio: tokens\n",
            "'vars.validation_ratio' must be a number (above 0 and below 1), got 'tokens'",
        ),
        (
            "vars:\n  validation_ratio: '0.2'\n",
            "'vars.validation_ratio' must be a number (above 0 and below 1), got '0.2'",
        ),
        ("vars:\n  chunk_max_tokens: 0\n", "vars.chunk_max_tokens must be 1 or more, got 0"),
        (
            "vars:\n  chunk_overlap_tokens: 200\n",
            "vars.chunk_overlap_tokens must be below chunk_max_tokens (200), got 200",
        ),
        ("vars:\n  chunk_max_tokens: 30\n", "vars.chunk_overlap_tokens must be below chunk_max_tokens (30), got 32"),
        ("vars:\n  chunk_min_tokens: 300\n", "vars.chunk_min_tokens must be chunk_max_tokens (200) or less, got 300"),
        ("warehouse:\n  batch_rows: 0\n", "warehouse.batch_rows must be 1 or more, got 0"),
        ("vars:\n  heldout_ratio: 1\n", "vars.heldout_ratio must be 0 or more and below 1, got 1"),
        ("vars:\n  heldout_ratio: -0.1\n", "vars.heldout_ratio must be 0 or more and below 1, got -0.1"),
        (
            "vars:\n  near_duplicate_threshold: 0\n",
            "vars.near_duplicate_threshold must be above 0 and 1 or less, got 0",
        ),
        (
            "vars:\n  near_duplicate_threshold: 1.5\n",
            "vars.near_duplicate_threshold must be above 0 and 1 or less, got 1.5",
        ),
        (
            "vars:\n  heldout_champions: Annie\n",
            "'vars.heldout_champions' must be a list (each item non-empty text), got 'Annie'",
        ),
    ],
)
def test_row10_bad_vars_are_refused(tmp_path, given, message):
    assert _refusal(tmp_path, given) == message


def test_the_edges_of_the_ranges_are_allowed(tmp_path):
    config = _loaded(
        tmp_path,
        "vars:\n  heldout_ratio: 0\n  near_duplicate_threshold: 1\n  chunk_max_tokens: 1\n"
        "  chunk_overlap_tokens: 0\n  chunk_min_tokens: 1\n  validation_ratio: 0.999\n",
    )
    assert config["vars"]["heldout_ratio"] == 0 and config["vars"]["near_duplicate_threshold"] == 1
    assert config["vars"]["validation_ratio"] == 0.999 and config["vars"]["chunk_max_tokens"] == 1


def test_a_typo_of_a_builtin_var_is_an_error_but_vars_of_your_own_pass_through(tmp_path):
    rule = "a var of your own needs a name that is not a near-miss of a built-in var"
    assert (
        _refusal(tmp_path, "vars:\n  split_sed: 7\n")
        == f"unknown key 'vars.split_sed' (did you mean 'split_seed'?); {rule}"
    )
    assert _refusal(tmp_path, "vars:\n  validation_ration: 0.3\n") == (
        f"unknown key 'vars.validation_ration' (did you mean 'validation_ratio'?); {rule}"
    )
    mine = _loaded(tmp_path, "vars:\n  greeting: hello\n  boss_weight: [1, 'x']\n  split_seed: 7\n")["vars"]
    assert mine["greeting"] == "hello" and mine["boss_weight"] == [1, "x"] and mine["split_seed"] == 7
    assert mine["validation_ratio"] == 0.2  # the defaults stay beside the user's vars


def test_row10_a_bad_ratio_builds_nothing(project):
    """Row 10: `vars.validation_ratio: 5` built with rc 0 (every chunk in validation); now `build` stops at the file."""
    project.model("base", "select {{ var('validation_ratio') }} as ratio")
    project.write("riftlab.yaml", "warehouse:\n  path: data/wh.duckdb\nvars:\n  validation_ratio: 5\n")
    done = project.riftlab("build")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: {project.root / 'riftlab.yaml'}: vars.validation_ratio must be above 0 and below 1, got 5"
    )
    assert not project.db.exists()


# -- keys, types and the other sections ----------------------------------------------------------------
def test_unknown_keys_suggest_the_closest_or_list_the_known(tmp_path):
    assert _refusal(tmp_path, "wareouse:\n  path: x.duckdb\n") == "unknown key 'wareouse' (did you mean 'warehouse'?)"
    assert _refusal(tmp_path, "crawl:\n  concurent_requests: 4\n") == (
        "unknown key 'crawl.concurent_requests' (did you mean 'concurrent_requests'?)"
    )
    assert _refusal(tmp_path, "sources:\n  wiki:\n    categories: [{name: X, kind: champion}]\n") == (
        "unknown key 'sources.wiki.categories[0].kind'; known keys here: entity_type, name"
    )
    assert _refusal(tmp_path, "vars:\n  2024: x\n") == "key 2024 under vars must be text (quote it)"
    assert _refusal(tmp_path, "augment:\n  prices:\n    yes: {input: 1, output: 1}\n") == (
        "key True under augment.prices must be text (quote it)"
    )


def test_a_null_section_means_its_defaults(tmp_path):
    config = _loaded(tmp_path, "checks:\nvars:\naugment:\n  self_instruct:\n")
    assert config["checks"] == defaults()["checks"] and config["vars"] == defaults()["vars"]
    assert config["augment"]["self_instruct"] == defaults()["augment"]["self_instruct"]
    assert (
        _refusal(tmp_path, "crawl:\n  download_delay:\n")
        == "'crawl.download_delay' must be a number (0 or more), got None"
    )


def test_augment_training_and_evaluation_values(tmp_path):
    priced = _loaded(tmp_path, "augment:\n  model: mine\n  prices:\n    mine: {input: 1, output: 2}\n")["augment"]
    assert priced["prices"]["mine"] == {"input": 1.0, "output": 2.0} and "claude-sonnet-4-5" in priced["prices"]
    assert _refusal(tmp_path, "augment:\n  model: gpt-4\n").startswith(
        "augment.model must be a model priced under augment.prices ("
    )
    assert _refusal(tmp_path, "augment:\n  prices:\n    mine: {input: 1}\n") == (
        "'augment.prices.mine.output' is missing; it must be a number (0 or more)"
    )
    assert _refusal(tmp_path, "augment:\n  run_tasks: [parafrase]\n").startswith(
        "augment.run_tasks[0] 'parafrase' is not one of paraphrase, champion-cards,"
    )
    assert _refusal(
        tmp_path, "augment:\n  self_instruct:\n    chunk_tokens:\n      wiki: {mean: 9, sd: 1, min: 5, max: 2}\n"
    ) == ("augment.self_instruct.chunk_tokens.wiki.min must be max (2) or less, got 5")
    assert _refusal(tmp_path, "training:\n  presets:\n    embed: embed_fast\n").startswith(
        "training.presets.embed must be one of embed_adapted, embed_cached,"
    )
    assert (
        _loaded(tmp_path, "training:\n  presets:\n    embed: my/preset.yaml\n")["training"]["presets"]["embed"]
        == "my/preset.yaml"
    )
    assert _refusal(tmp_path, "training:\n  run_stages: [embedd]\n") == (
        "training.run_stages[0] 'embedd' is not one of embed, clm, sft, dpo (did you mean 'embed'?)"
    )
    assert _refusal(tmp_path, "evaluation:\n  primary_metric: v_measure\n") == (
        "evaluation.primary_metric must be TASK:SPLIT:METRIC, "
        "e.g. ChampionSubclassClustering:heldout:v_measure, got 'v_measure'"
    )
    assert _refusal(tmp_path, "evaluation:\n  decoder_pooling: first\n") == (
        "evaluation.decoder_pooling 'first' is not one of lasttoken, mean, cls, max, weightedmean"
    )


def test_augment_task_names_match_the_tasks():
    """augment.run_tasks is typed without importing the tasks (the Anthropic SDK); the names must agree."""
    from augment.settings import TASK_NAMES
    from augment.tasks import TASKS

    assert sorted(TASK_NAMES) == sorted(TASKS)


def test_paths_runs_names_the_setting_that_replaced_it(tmp_path):
    assert _refusal(tmp_path, "paths:\n  runs: runs\n") == (
        "unknown key 'paths.runs'; training runs go under training.output_dir; delete paths.runs"
    )
