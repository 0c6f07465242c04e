"""A dbt user's project (tests/warehouse/dbt_project/: seeds, staging views, marts tables, schema.yml
tests, singular tests, folder config, tags) built and tested the way `dbt build` would."""

from __future__ import annotations

import json

import pytest

from warehouse.errors import ConfigError

ACCEPTED_STATUS = "accepted_values_stg_orders_4f514bf94b77b7ea437830eec4421c58"
GIFT_CARDS = "accepted_values_stg_payments_8385aaee52e46b44ac5264d3cc4690a0"


def _by_name(results):
    return {r.name: r for r in results}


def test_folder_config_and_config_calls_give_each_model_its_materialisation_schema_and_tags(built_dbt_project):
    project = built_dbt_project
    kinds = dict(project.rows("select table_schema || '.' || table_name, table_type from information_schema.tables"))
    assert kinds["main.stg_customers"] == kinds["main.stg_orders"] == kinds["main.stg_payments"] == "VIEW"
    assert kinds["main.orders"] == kinds["main.customers"] == "BASE TABLE"  # marts: +materialized: table
    assert kinds["main.recent_orders"] == "VIEW"  # config(materialized='view') beats the folder
    assert kinds["finance.revenue_by_month"] == "BASE TABLE"  # marts/finance: +schema: finance
    assert "main.revenue_by_month" not in kinds
    assert kinds["main.raw_orders"] == "BASE TABLE"  # seeds
    manifest = project.manifest()
    assert manifest.nodes["stg_orders"].tags == ["staging"]
    assert manifest.nodes["orders"].tags == ["marts", "nightly"]  # folder tag + schema.yml config tag
    assert manifest.nodes["revenue_by_month"].tags == ["marts", "finance"]  # tags add up down the folders
    assert manifest.nodes["recent_orders"].tags == ["marts", "recent"]
    # the rows are right: order 2 was paid by card and by bank transfer; customer 1 ordered 3 times
    assert project.rows("select credit_card_amount, bank_transfer_amount, amount from orders where order_id = 2") == [
        (20.0, 5.0, 25.0)
    ]
    assert project.rows("select number_of_orders, lifetime_value from customers where customer_id = 1") == [(3, 16.0)]
    assert project.rows("select revenue from finance.revenue_by_month order by month") == [(36.0,), (23.0,), (54.0,)]


def test_every_test_runs_after_its_model_and_warn_severity_only_reports(built_dbt_project):
    results = _by_name(built_dbt_project.results)
    tests = {name: r for name, r in results.items() if r.kind == "test"}
    assert len(tests) == 18
    assert {r.status for n, r in tests.items() if n != GIFT_CARDS} == {"pass"}
    warned = tests[GIFT_CARDS]
    assert warned.status == "warn" and warned.rows == 1 and "gift_card" in warned.error
    assert all(r.status == "success" for r in results.values() if r.kind != "test")  # a warning blocks nothing
    # each test reports right after the node it is declared on (the singular test on two models after both)
    order = [r.name for r in built_dbt_project.results]
    assert order.index("not_null_stg_orders_order_id") == order.index("stg_orders") + 3
    assert order.index("assert_customers_count_every_order") > order.index("customers") > order.index("orders")
    assert order.index("relationships_stg_orders_96411fe0c89b49c3f4da955dfd358ba0") > order.index("stg_customers")
    stored = built_dbt_project.rows(
        "select table_name, expectation, expectation_type, blocking, success, failing_count from meta.check_results"
    )
    assert len(stored) == 18
    assert ("stg_payments", GIFT_CARDS, "expect_column_values_to_be_in_set", False, False, 1) in stored
    assert (
        "stg_orders",
        "not_null_stg_orders_order_id",
        "expect_column_values_to_not_be_null",
        True,
        True,
        0,
    ) in stored
    assert ("orders", "assert_order_amounts_are_not_negative", "sql", True, True, 0) in stored


def test_where_narrows_the_rows_a_test_reads(dbt_project):
    """stg_payments has a coupon without an amount: not_null(amount) passes only because of its where."""
    from warehouse.runner.build import build

    selection = ["+stg_payments"]
    assert _by_name(build(dbt_project.load(), selection))["not_null_stg_payments_amount"].status == "pass"
    dbt_project.edit("transforms/models/staging/schema.yml", "where: \"payment_method <> 'coupon'\"", "tags: [x]")
    failed = _by_name(build(dbt_project.load(), selection))["not_null_stg_payments_amount"]
    assert failed.status == "fail" and failed.rows == 1 and '"payment_method": "coupon"' in failed.error


def test_a_failing_test_stops_the_descendants_naming_test_model_and_rows(dbt_project):
    from warehouse.runner.build import build

    assert not any(r.failed for r in build(dbt_project.load()))
    dbt_project.edit("transforms/seeds/raw_orders.csv", "5,4,2024-02-07,placed", "5,4,2024-02-07,lost")
    dbt_project.edit("transforms/seeds/raw_orders.csv", "8,3,2024-03-02,placed", "8,3,2024-03-02,shipped")
    result = dbt_project.riftlab("build")  # the real command, as a user runs it
    assert result.returncode == 1
    out = result.stdout + result.stderr
    lines = result.stdout.splitlines()
    failed = next(line for line in lines if "FAIL" in line)
    assert ACCEPTED_STATUS in failed and "1 failing row(s)" in failed
    assert f"test {ACCEPTED_STATUS} on stg_orders failed: 1 failing row(s)" in out
    assert '{"order_id": 5, "customer_id": 4, "order_date": "2024-02-07", "status": "lost"}' in out
    for model in ("orders", "customers", "recent_orders", "revenue_by_month"):
        line = next(i for i, text in enumerate(lines) if f" {model} ." in text)
        assert "SKIP" in lines[line], lines[line]
        assert f"skipped: test '{ACCEPTED_STATUS}' on 'stg_orders' failed" in lines[line + 1]
    assert "5 built, 1 failed, 4 skipped" in result.stdout
    # the tables below kept their previous versions
    assert dbt_project.rows("select status from orders where order_id in (5, 8)") == [("placed",), ("placed",)]
    assert dbt_project.rows("select status from raw_orders where id = 8") == [("shipped",)]  # the seed did build
    run = json.loads((dbt_project.target / "run_results.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in run["results"]}
    assert statuses["model.jaffle.stg_orders"] == "error"
    assert statuses[f"test.jaffle.{ACCEPTED_STATUS}"] == "fail"
    assert statuses["model.jaffle.orders"] == "skipped"


def test_a_failing_test_of_two_models_skips_what_reads_them_after_it(dbt_project):
    from warehouse.runner.build import build

    dbt_project.edit("transforms/tests/assert_customers_count_every_order.sql", "<> count(o.order_id)", "> 0")
    results = _by_name(build(dbt_project.load()))
    singular = results["assert_customers_count_every_order"]
    assert singular.status == "fail" and singular.rows == 5
    assert "test assert_customers_count_every_order on customers, orders failed: 5 failing row(s)" in singular.error
    assert results["orders"].status == results["customers"].status == "success"  # it reads them once published
    for model in ("recent_orders", "revenue_by_month"):  # built after it, from orders
        assert results[model].status == "skipped"
        assert (
            results[model].error == "skipped: test 'assert_customers_count_every_order' on 'customers, orders' failed"
        )


def test_manifest_and_run_results_have_dbt_shapes_and_match_meta_model_runs(built_dbt_project):
    project = built_dbt_project
    manifest = json.loads((project.target / "manifest.json").read_text())
    orders = manifest["nodes"]["model.jaffle.orders"]
    assert orders["depends_on"]["nodes"] == ["model.jaffle.stg_payments", "model.jaffle.stg_orders"]
    assert orders["config"]["materialized"] == "table" and orders["config"]["tags"] == ["marts", "nightly"]
    assert orders["description"] == "One row per order, with what was paid by each method."
    assert orders["columns"]["amount"]["description"] == "Total paid for the order, in dollars."
    assert "sum(case when payment_method = 'credit_card'" in orders["compiled_code"]
    assert manifest["nodes"]["model.jaffle.revenue_by_month"]["relation_name"] == 'finance."revenue_by_month"'
    test = manifest["nodes"]["test.jaffle.relationships_stg_orders_96411fe0c89b49c3f4da955dfd358ba0"]
    assert test["test_metadata"] == {
        "name": "relationships",
        "kwargs": {"column_name": "customer_id", "to": "ref('stg_customers')", "field": "customer_id"},
        "namespace": None,
    }
    assert test["attached_node"] == "model.jaffle.stg_orders"
    assert set(test["depends_on"]["nodes"]) == {"model.jaffle.stg_orders", "model.jaffle.stg_customers"}
    assert "test.jaffle.unique_orders_order_id" in manifest["child_map"]["model.jaffle.orders"]

    run = json.loads((project.target / "run_results.json").read_text())
    logged = project.rows("select run_id, model, status, rows from meta.model_runs")
    assert {r[0] for r in logged} == {run["metadata"]["invocation_id"]}
    results = {r["unique_id"]: r for r in run["results"]}
    for _run_id, model, status, rows in logged:
        kind = "seed" if model.startswith("raw_") else "model"
        entry = results[f"{kind}.jaffle.{model}"]
        assert (entry["status"], entry["adapter_response"]["rows_affected"]) == (status, rows)
        assert entry["timing"][0]["name"] == "execute"
    assert results[f"test.jaffle.{GIFT_CARDS}"]["status"] == "warn"
    assert results[f"test.jaffle.{GIFT_CARDS}"]["failures"] == 1


def test_target_path_is_configurable(dbt_project):
    from warehouse.runner.build import build

    text = (dbt_project.root / "riftlab.yaml").read_text()
    (dbt_project.root / "riftlab.yaml").write_text(text + "paths:\n  target: build/artefacts\n")
    build(dbt_project.load(), ["raw_customers"])
    assert (dbt_project.root / "build" / "artefacts" / "run_results.json").is_file()
    assert not dbt_project.target.exists()


def test_the_verbs_seed_test_compile_show_and_ls(built_dbt_project):
    project = built_dbt_project
    seeded = project.invoke("seed", "--select", "raw_orders")
    assert seeded.exit_code == 0 and "1 built, 0 failed, 0 skipped" in seeded.stdout and "test" not in seeded.stdout

    tested = project.invoke("test", "--select", "stg_orders")
    assert tested.exit_code == 0, tested.stderr
    assert "tests: 5 passed, 0 failed, 0 warned, 0 errored, 0 skipped" in tested.stdout
    run_id = tested.stdout.split("check_run_id = '")[1].split("'")[0]
    assert project.rows(f"select count(*) from meta.check_results where check_run_id = '{run_id}'") == [(5,)]
    assert ACCEPTED_STATUS in (project.root / "reports" / "checks.html").read_text()

    compiled = project.invoke("compile", "--select", "orders")
    assert compiled.exit_code == 0 and 'from main."stg_orders" as o' in compiled.stdout
    written = project.target / "compiled" / "jaffle" / "models" / "marts" / "orders.sql"
    assert written.read_text() == compiled.stdout
    assert (project.target / "compiled" / "jaffle" / "tests" / "unique_orders_order_id.sql").is_file()

    shown = project.invoke("show", "--select", "customers", "--limit", "2", "--output", "json")
    assert shown.exit_code == 0, shown.stderr
    assert [row["customer_id"] for row in json.loads(shown.stdout)] == [1, 2]

    listed = project.invoke("ls", "--select", "tag:finance", "resource_type:test,test_type:singular")  # dbt's syntax
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == [
        "revenue_by_month",
        "assert_order_amounts_are_not_negative",
        "assert_customers_count_every_order",
        "unique_revenue_by_month_month",
    ]


def test_test_fails_on_a_failing_test_and_check_runs_tests_beside_suites(built_dbt_project):
    project = built_dbt_project
    tested = project.invoke("test", "--select", "stg_payments", "--exclude", "test_name:unique")
    assert tested.exit_code == 0  # a warning is not a failure
    assert "WARN" in tested.stdout and "tests: 1 passed, 0 failed, 1 warned" in tested.stdout
    from warehouse.checks.checker import ChecksFailed

    with pytest.raises(ChecksFailed) as failed:  # like a non-blocking expectation, a warning fails `check`
        project.invoke("check", "--select", "stg_payments")
    assert GIFT_CARDS in str(failed.value) and "gift_card" in str(failed.value)


@pytest.mark.parametrize(
    "schema, message",
    [
        ("      - name: order_id\n        data_test: [unique]", "unknown key 'data_test' (did you mean 'data_tests'?)"),
        ("      - name: order_id\n        data_tests: [uniqe]", "'uniqe' is not a generic test riftlab runs (did you"),
        ("      - name: order_id\n        data_tests: [accepted_values]", "accepted_values needs 'values'"),
        (
            "      - name: order_id\n        data_tests:\n          - relationships: {to: customers, field: id}",
            "relationships 'to' must be ref('model')",
        ),
        (
            "      - name: order_id\n        data_tests:\n          - not_null: {config: {severity: fatal}}",
            "severity 'fatal' must be error or warn",
        ),
        (
            "      - name: order_id\n        data_tests:\n          - not_null: {config: {error_if: '>10'}}",
            "does not support the test config 'error_if'",
        ),
        (
            "      - name: order_id\n        data_tests:\n          - relationships: {to: ref('customer'), field: id}",
            "ref('customer') names no model, seed or rule table (did you mean 'customers'?)",
        ),
    ],
)
def test_a_wrong_test_declaration_is_one_line_naming_file_model_and_column(dbt_project, schema, message):
    dbt_project.edit(
        "transforms/models/marts/schema.yml", "      - name: order_id\n        data_tests: [unique, not_null]", schema
    )
    with pytest.raises(ConfigError if "names no model" not in message else Exception) as info:
        dbt_project.manifest()
    assert message in str(info.value)
    assert "transforms/models/marts/schema.yml" in str(info.value) and "\n" not in str(info.value)
    if "names no model" not in message:
        assert "model 'orders' column 'order_id'" in str(info.value)


def test_a_folder_config_for_a_missing_folder_is_refused(dbt_project):
    dbt_project.edit("riftlab.yaml", "  staging:\n", "  stagng:\n")
    with pytest.raises(
        ConfigError, match=r"models\.stagng configures transforms/models/stagng/.*did you mean 'staging'"
    ):
        dbt_project.manifest()


def test_a_disabled_folder_is_not_built_and_its_readers_say_so(dbt_project):
    from warehouse.errors import ModelError

    dbt_project.edit("riftlab.yaml", "    finance:\n", "    finance:\n      +enabled: false\n")
    manifest = dbt_project.manifest()
    assert "revenue_by_month" not in manifest.nodes and "unique_revenue_by_month_month" not in manifest.tests
    dbt_project.edit("transforms/models/marts/recent_orders.sql", "ref('orders')", "ref('revenue_by_month')")
    with pytest.raises(ModelError, match=r"recent_orders\.sql:3: ref\('revenue_by_month'\) is disabled"):
        dbt_project.manifest()


@pytest.mark.parametrize(
    "models, message",
    [
        ("  +materialised: view", "unknown key 'models.+materialised' (did you mean '+materialized'?)"),
        ("  staging:\n    +materialized: tabel", "models.staging.+materialized 'tabel' is not one of table, view"),
        ("  staging: view", "unknown key 'models.staging'; a key is a folder (a mapping) or a config"),
        ("  +schema: meta", "models.+schema must be a schema of your own, not raw or meta"),
        ("  +tags: 3", "models.+tags must be a name or a list of names, got 3"),
    ],
)
def test_a_wrong_models_section_is_one_line(tmp_path, models, message):
    from warehouse.config import load_config

    path = tmp_path / "riftlab.yaml"
    path.write_text(f"models:\n{models}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: {message}" or str(info.value).startswith(f"{path}: {message}")


def test_config_precedence_is_dbt_s(project):
    """Nearest folder over its parents, schema.yml config: over folders, config() over all; tags add up."""
    from warehouse.runner.manifest import load_project_manifest

    project.write(
        "riftlab.yaml",
        "models:\n  +materialized: view\n  +tags: all\n  a:\n    +materialized: table\n    +tags: [a]\n"
        "    b:\n      +materialized: view\n      +tags: b\n",
    )
    project.model("a/b/by_folder", "select 1 as x")
    project.model("a/b/by_properties", "select 1 as x")
    project.model("a/b/by_call", "{{ config(materialized='incremental', tags=['call']) }}\nselect 1 as x")
    project.model("a/in_a", "select 1 as x")
    project.model("top", "select 1 as x")
    project.write(
        "transforms/models/a/b/schema.yml",
        "models:\n  - name: by_properties\n    config: {materialized: table, tags: [props]}\n"
        "  - name: by_call\n    config: {materialized: table}\n",
    )
    nodes = load_project_manifest(project.load()).nodes
    assert {name: (node.materialized, node.tags) for name, node in nodes.items()} == {
        "by_folder": ("view", ["all", "a", "b"]),
        "by_properties": ("table", ["all", "a", "b", "props"]),
        "by_call": ("incremental", ["all", "a", "b", "call"]),
        "in_a": ("table", ["all", "a"]),
        "top": ("view", ["all"]),
    }


def test_a_test_reading_a_table_never_built_is_skipped_not_failed(dbt_project):
    """Building stg_customers alone selects the relationships test of stg_orders, which reads it (eager
    selection); with stg_orders never built, the test is skipped, and nothing fails."""
    from warehouse.runner.build import build

    results = _by_name(build(dbt_project.load(), ["raw_customers stg_customers"]))
    relationships = results["relationships_stg_orders_96411fe0c89b49c3f4da955dfd358ba0"]
    assert relationships.status == "skipped" and relationships.error == "skipped: main.stg_orders is not built"
    assert not any(r.failed for r in results.values())


def test_an_incremental_model_s_tests_see_the_table_the_merge_would_leave(project):
    """Appending rows whose id repeats an old row's: the new rows alone are unique, the merged table is not."""
    from warehouse.runner.build import build

    project.write("transforms/seeds/events.csv", "id,value\n1,a\n2,b\n")
    project.model(
        "events_inc",
        """
        {{ config(materialized='incremental') }}
        select id, value from {{ ref('events') }}
        {% if is_incremental() %}where id >= (select max(id) from {{ this }}){% endif %}
        """,
    )
    project.write(
        "transforms/models/schema.yml",
        "models:\n  - name: events_inc\n    columns:\n      - {name: id, data_tests: [unique]}\n",
    )
    assert _by_name(build(project.load()))["unique_events_inc_id"].status == "pass"
    project.write("transforms/seeds/events.csv", "id,value\n1,a\n2,b\n3,c\n")
    second = _by_name(build(project.load()))
    assert second["unique_events_inc_id"].status == "fail" and '"id": 2' in second["unique_events_inc_id"].error
    assert second["events_inc"].status == "error" and "new rows not published" in second["events_inc"].error
    assert project.rows("select id from main.events_inc order by id") == [(1,), (2,)]
    project.model(
        "events_inc",
        """
        {{ config(materialized='incremental', unique_key='id') }}
        select id, value from {{ ref('events') }}
        {% if is_incremental() %}where id >= (select max(id) from {{ this }}){% endif %}
        """,
    )
    assert _by_name(build(project.load()))["unique_events_inc_id"].status == "pass"  # id 2 is replaced
    assert project.rows("select id from main.events_inc order by id") == [(1,), (2,), (3,)]
