"""dbt's selection grammar (warehouse/runner/selectors.py): every form, on the dbt-style project's DAG.

    raw_customers  raw_orders  raw_payments            (seeds)
         |             |            |
    stg_customers  stg_orders   stg_payments           (staging: views, tag staging)
         |              \\          /
         |               orders                         (marts: tables, tags marts + nightly)
          \\            /   |    \\
          customers  recent_orders  revenue_by_month    (marts/finance: schema finance)
"""

from __future__ import annotations

import pytest

from warehouse.errors import ConfigError, ModelError


@pytest.fixture
def manifest(dbt_project):
    return dbt_project.manifest()


def pick(manifest, *selectors, exclude=(), state=None) -> set[str]:
    """Names of the nodes and tests selected (tests left out unless selected directly or by a node)."""
    ids = manifest.selected_ids(selectors, exclude, state)
    return {uid.split(".", 2)[2] for uid in ids}


def nodes(manifest, *selectors, exclude=(), state=None) -> list[str]:
    return manifest.select(selectors, exclude, state)


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("orders", ["orders"]),
        ("stg_*", ["stg_customers", "stg_payments", "stg_orders"]),
        ("+orders", ["raw_orders", "raw_payments", "stg_payments", "stg_orders", "orders"]),
        ("1+orders", ["stg_payments", "stg_orders", "orders"]),
        ("2+customers", ["raw_customers", "stg_customers", "stg_payments", "stg_orders", "orders", "customers"]),
        ("orders+", ["orders", "customers", "recent_orders", "revenue_by_month"]),
        ("stg_orders+1", ["stg_orders", "orders"]),
        ("raw_orders+2", ["raw_orders", "stg_orders", "orders"]),
        ("+stg_orders+1", ["raw_orders", "stg_orders", "orders"]),
        (
            "@stg_customers",
            [
                "raw_customers",
                "raw_orders",
                "raw_payments",
                "stg_customers",
                "stg_payments",
                "stg_orders",
                "orders",
                "customers",
            ],
        ),
        ("staging", ["stg_customers", "stg_payments", "stg_orders"]),  # a folder (dbt's fqn)
        ("marts.finance", ["revenue_by_month"]),
        ("fqn:jaffle.staging.stg_orders", ["stg_orders"]),
        ("tag:staging", ["stg_customers", "stg_payments", "stg_orders"]),
        ("tag:nightly", ["orders"]),
        ("tag:finance+", ["revenue_by_month"]),
        ("path:models/marts/finance", ["revenue_by_month"]),
        ("path:transforms/models/staging/stg_orders.sql", ["stg_orders"]),
        ("path:seeds", ["raw_customers", "raw_orders", "raw_payments"]),
        ("file:customers.sql", ["customers"]),
        ("config.materialized:view", ["stg_customers", "stg_payments", "stg_orders", "recent_orders"]),
        ("config.schema:finance", ["revenue_by_month"]),
        ("resource_type:seed", ["raw_customers", "raw_orders", "raw_payments"]),
        ("tag:marts,config.materialized:table", ["orders", "customers", "revenue_by_month"]),  # intersection
        ("tag:finance stg_orders", ["stg_orders", "revenue_by_month"]),  # union
        ("+customers,tag:staging", ["stg_customers", "stg_payments", "stg_orders"]),
    ],
)
def test_node_selection(manifest, selector, expected):
    assert nodes(manifest, selector) == [name for name in manifest.order if name in expected]
    assert sorted(nodes(manifest, selector)) == sorted(expected)


def test_repeated_select_is_a_union_and_exclude_comes_last(manifest):
    assert nodes(manifest, "stg_orders", "customers") == ["stg_orders", "customers"]
    assert nodes(manifest, "orders+", exclude=["customers", "tag:finance"]) == ["orders", "recent_orders"]
    assert nodes(manifest, exclude=["tag:marts resource_type:seed"]) == ["stg_customers", "stg_orders", "stg_payments"]


def test_tests_come_with_the_nodes_they_read_and_go_with_excluded_ones(manifest):
    assert pick(manifest, "customers") == {
        "customers",
        "unique_customers_customer_id",
        "not_null_customers_customer_id",
        "assert_customers_count_every_order",  # reads customers (and orders): selected eagerly, as dbt does
    }
    assert "assert_customers_count_every_order" not in pick(manifest, "customers", exclude=["orders"])
    assert manifest.select_tests(["stg_customers"]) == [
        "not_null_stg_customers_customer_id",
        "unique_stg_customers_customer_id",
        "relationships_stg_orders_96411fe0c89b49c3f4da955dfd358ba0",
    ]


def test_test_methods(manifest):
    assert manifest.select_tests(["test_type:singular"]) == [
        "assert_order_amounts_are_not_negative",
        "assert_customers_count_every_order",
    ]
    assert manifest.select_tests(["test_name:relationships"]) == [
        "relationships_stg_orders_96411fe0c89b49c3f4da955dfd358ba0"
    ]
    assert manifest.select_tests(["config.severity:warn"]) == [
        "accepted_values_stg_payments_8385aaee52e46b44ac5264d3cc4690a0"
    ]
    assert manifest.select_tests(["tag:status"]) == ["accepted_values_stg_orders_4f514bf94b77b7ea437830eec4421c58"]
    assert manifest.select_tests(["tag:reconciliation"]) == ["assert_customers_count_every_order"]
    assert manifest.select_tests(["resource_type:test,tag:status"]) == [
        "accepted_values_stg_orders_4f514bf94b77b7ea437830eec4421c58"
    ]
    assert nodes(manifest, "resource_type:test") == []  # selecting tests builds no node


def test_state_modified_and_new_against_a_saved_manifest(dbt_project, tmp_path):
    from warehouse.runner.artifacts import manifest_document, write_json
    from warehouse.runner.selectors import load_state

    saved = tmp_path / "prod"
    write_json(saved / "manifest.json", manifest_document(dbt_project.manifest(), "prod-run"))
    state = load_state(saved)
    assert nodes(dbt_project.manifest(), "state:modified", state=state) == []
    dbt_project.edit("transforms/models/staging/stg_payments.sql", "amount / 100", "amount / 100.0")  # body
    dbt_project.edit("riftlab.yaml", "      +tags: [finance]", "      +tags: [finance, monthly]")  # config
    dbt_project.edit("transforms/models/marts/schema.yml", "data_tests: [unique, not_null]", "data_tests: [unique]")
    (dbt_project.root / "transforms/models/marts/big_orders.sql").write_text(
        "select * from {{ ref('orders') }} where amount > 20"
    )
    manifest = dbt_project.manifest()
    assert nodes(manifest, "state:modified", state=state) == ["stg_payments", "big_orders", "revenue_by_month"]
    assert nodes(manifest, "state:new", state=state) == ["big_orders"]
    assert nodes(manifest, "state:modified.body", state=state) == ["stg_payments", "big_orders"]
    assert nodes(manifest, "state:modified.configs", state=state) == ["big_orders", "revenue_by_month"]
    assert nodes(manifest, "state:modified+", state=state) == [
        "stg_payments", "orders", "big_orders", "customers", "recent_orders", "revenue_by_month"
    ]  # fmt: skip
    assert "not_null_customers_customer_id" not in manifest.tests  # the removed test is not modified: it is gone
    with pytest.raises(ModelError, match="state: needs --state DIR"):
        nodes(manifest, "state:modified")
    with pytest.raises(ConfigError, match="no manifest.json there"):
        load_state(tmp_path / "nowhere")


def test_source_selection(project):
    project.model("documents", "select count(*) as n from {{ source('raw', 'documents') }}")
    project.model("facts", "select count(*) as n from {{ source('raw', 'facts') }}")
    project.model("both", "select * from {{ ref('documents') }}, {{ ref('facts') }}")
    from warehouse.runner.manifest import load_project_manifest

    manifest = load_project_manifest(project.load())
    assert nodes(manifest, "source:raw") == []  # sources are not built...
    assert nodes(manifest, "source:raw+") == ["documents", "facts", "both"]  # ...their readers are
    assert nodes(manifest, "source:raw.documents+1") == ["documents"]
    assert nodes(manifest, "resource_type:source+,documents+") == ["documents", "both"]
    assert "source.riftlab.raw.facts" in manifest.selected_ids(["+facts"])
    from click.testing import CliRunner

    from riftlab.cli import cli

    listed = CliRunner().invoke(cli, ["--project-dir", str(project.root), "ls", "--select", "source:raw.facts+"])
    assert [line.split()[:2] for line in listed.stdout.splitlines()[1:]] == [
        ["facts", "table"],
        ["both", "table"],
        ["raw.facts", "source"],
    ]


@pytest.mark.parametrize(
    "selector, message",
    [
        ("ordrs", "no model, seed, rule table, test or folder named 'ordrs' (did you mean 'orders'?)"),
        (
            "tag:nope",
            "--select tag:nope: matches nothing (tags: finance, marts, nightly, recent, reconciliation, staging, "
            "status)",
        ),
        ("tgs:marts", "unknown method 'tgs' (did you mean 'tag'?)"),
        (
            "resource_type:modle",
            "resource type 'modle' is not one of model, seed, rules, test, source (did you mean 'model'?)",
        ),
        ("state:changed", "state:changed is not one of"),
        ("@2+orders", "@ takes no other graph operator"),
        ("tag:", "'tag:' needs a value"),
    ],
)
def test_a_wrong_selector_is_one_line(manifest, selector, message):
    with pytest.raises(ModelError) as info:
        manifest.select([selector])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_riftlab_s_own_transforms_load_unchanged():
    """The real project: same DAG, no data tests, every model in main (so `riftlab build` builds it as before)."""
    from pathlib import Path

    from warehouse.project import Project
    from warehouse.runner.manifest import load_manifest, load_project_manifest

    repo = Path(__file__).resolve().parents[2]
    project = Project.load(repo)
    manifest = load_project_manifest(project)
    plain = load_manifest(project.transforms_dir, dict(project.config["vars"]))
    assert manifest.order == plain.order and len(manifest.order) > 30
    assert manifest.tests == {}
    assert {node.schema for node in manifest.nodes.values()} == {"main"}
    assert nodes(manifest, "2+champions", exclude=["resource_type:seed"])[-1] == "champions"
