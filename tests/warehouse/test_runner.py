"""The dbt-style runner: DAG, atomic builds, logging, selection, incremental models."""

from __future__ import annotations

import pytest

from warehouse.errors import ModelError
from warehouse.runner.build import build
from warehouse.runner.manifest import load_manifest


def _two_models(project):
    project.model("base", "select 1 as id, '{{ var('greeting') }}' as word\nunion all select 2, 'two'")
    project.model("derived", "select id * 10 as id10 from {{ ref('base') }}")
    project.model("leaf", "select count(*) as n from {{ ref('derived') }}")
    project.model("other", "select 42 as answer")


def test_failing_model_keeps_previous_versions_and_skips_descendants(project):
    _two_models(project)
    first = build(project.load())
    assert [r.status for r in first] == ["success"] * 4
    assert project.rows("select id10 from main.derived order by 1") == [(10,), (20,)]

    # Break the second model and change the first: the first rebuilds, the second keeps its old table.
    project.model("base", "select 1 as id union all select 2 union all select 3")
    project.model("derived", "select id * 10 as id10 from {{ ref('base') }} where no_such_column = 1")
    project.model("other", "select 43 as answer")
    second = {r.name: r for r in build(project.load())}

    assert second["base"].status == "success"
    assert second["derived"].status == "error"
    assert "transforms/models/derived.sql" in second["derived"].error
    assert "no_such_column" in second["derived"].error
    assert second["leaf"].status == "skipped" and "upstream 'derived' failed" in second["leaf"].error
    assert second["other"].status == "success"  # unaffected models still build
    assert project.rows("select count(*) from main.base") == [(3,)]
    assert project.rows("select id10 from main.derived order by 1") == [(10,), (20,)]  # previous version
    assert project.rows("select n from main.leaf") == [(2,)]
    assert project.rows("select answer from main.other") == [(43,)]
    assert not project.rows("select * from information_schema.tables where table_name like '__riftlab_tmp_%'")

    logged = project.rows(
        "select model, status, error is not null, rows from meta.model_runs order by started_at, model"
    )
    assert ("derived", "error", True, None) in logged
    assert ("leaf", "skipped", True, None) in logged
    assert len(logged) == 8


def test_build_twice_gives_the_same_tables(project):
    _two_models(project)
    project.write("transforms/seeds/colours.csv", "name,rank\nred,1\nblue,2\n")
    project.model("ranked", "select name from {{ ref('colours') }} order by rank")
    build(project.load())
    before = {
        t: project.rows(f"select * from main.{t} order by all")
        for t in ("base", "derived", "leaf", "colours", "ranked")
    }
    build(project.load())
    after = {t: project.rows(f"select * from main.{t} order by all") for t in before}
    assert before == after
    hashes = project.rows("select model, count(distinct sql_hash) from meta.model_runs group by model")
    assert all(n == 1 for _, n in hashes)


def test_selection_with_ancestors_and_descendants(project):
    _two_models(project)
    manifest = load_manifest(project.root / "transforms", {"greeting": "hi"})
    assert manifest.select(["derived"]) == ["derived"]
    assert manifest.select(["derived+"]) == ["derived", "leaf"]
    assert manifest.select(["+derived"]) == ["base", "derived"]
    assert manifest.select(["+derived+"]) == ["base", "derived", "leaf"]
    with pytest.raises(ModelError, match="did you mean 'derived'"):
        manifest.select(["derivd"])


def test_cycle_is_named(project):
    project.model("a", "select * from {{ ref('b') }}")
    project.model("b", "select * from {{ ref('c') }}")
    project.model("c", "select * from {{ ref('a') }}")
    with pytest.raises(ModelError, match=r"cycle: (a|b|c) -> .* -> .*"):
        load_manifest(project.root / "transforms", {})


def test_unknown_ref_names_file_and_line(project):
    project.model("a", "select 1 as x\nfrom\n  {{ ref('missing_model') }}")
    with pytest.raises(ModelError, match=r"transforms/models/a\.sql:3: ref\('missing_model'\)"):
        load_manifest(project.root / "transforms", {})


def test_view_and_incremental_materializations(project):
    project.write("transforms/seeds/events.csv", "id,value\n1,a\n2,b\n")
    project.model("events_view", "{{ config(materialized='view') }}\nselect * from {{ ref('events') }}")
    project.model(
        "events_inc",
        """
        {{ config(materialized='incremental', unique_key='id') }}
        select id, value from {{ ref('events') }}
        {% if is_incremental() %}where id >= (select max(id) from {{ this }}){% endif %}
        """,
    )
    build(project.load())
    assert project.rows("select table_type from information_schema.tables where table_name = 'events_view'") == [
        ("VIEW",)
    ]
    assert project.rows("select * from main.events_inc order by id") == [(1, "a"), (2, "b")]
    project.write("transforms/seeds/events.csv", "id,value\n1,a\n2,B\n3,c\n")
    build(project.load())
    # id 2 is replaced by its unique key, id 3 appended, id 1 untouched
    assert project.rows("select * from main.events_inc order by id") == [(1, "a"), (2, "B"), (3, "c")]
    assert project.rows("select count(*) from main.events_view") == [(3,)]


def test_reading_a_rule_file_in_jinja_makes_it_a_dependency(project):
    project.write("transforms/rules/words.yml", "rules:\n  - {word: alpha}\n  - {word: beta}\n")
    project.model("first_word", "select {{ sql_string(rules.words.rules[0].word) }} as word")
    manifest = load_manifest(project.root / "transforms", {})
    assert manifest.nodes["first_word"].refs == ["rules_words"]
    assert manifest.select(["+first_word"]) == ["rules_words", "first_word"]


def test_a_python_error_in_a_template_names_the_model_and_changes_nothing(project):
    project.model("good", "select 1 as x")
    project.riftlab("build", check=True)
    project.model("good", "select 2 as x")
    project.model("broken", "select 1 as x,\n  {{ 1/0 }} as y")
    result = project.riftlab("build")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: transforms/models/broken.sql:2: Jinja error: ZeroDivisionError: division by zero"
    )
    assert project.rows("select x from main.good") == [(1,)]
