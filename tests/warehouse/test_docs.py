"""`riftlab docs` on a small dbt-style project, read back from headless Chromium with the network cut off."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, offline_chromium
from tests.warehouse.project import TempProject


def write_shop(project: TempProject) -> None:
    """Seeds, a staging view, marts with a CTE, a union, star selects, riftlab's minhash() and a COLUMNS(...)."""
    project.write(
        "transforms/seeds/customers.csv",
        "id,first_name,last_name,country\n1,Ada,Lovelace,uk\n2,Alan,Turing,uk\n3,Grace,Hopper,us\n",
    )
    project.write("transforms/seeds/orders.csv", "id,customer_id,amount\n10,1,5\n11,1,7\n12,3,2\n")
    project.model(
        "staging/stg_customers",
        """
        {{ config(materialized='view') }}
        select id as customer_id, first_name || ' ' || last_name as full_name, upper(country) as country
        from {{ ref('customers') }}
        """,
    )
    project.model(
        "marts/customer_orders",
        """
        with orders as (select * from {{ ref('orders') }}),
        totals as (select customer_id, sum(amount) as total from orders group by customer_id)
        select c.full_name, c.country, t.total
        from {{ ref('stg_customers') }} as c join totals as t using (customer_id)
        """,
    )
    project.model(
        "marts/all_names",
        """
        select full_name as name, 'customer' as kind from {{ ref('stg_customers') }}
        union all
        select cast(id as varchar), 'order' from {{ ref('orders') }}
        """,
    )
    # minhash() is riftlab's SQL function (sqlglot knows an aggregate of that name); COLUMNS() sqlglot cannot name
    project.model(
        "marts/customers_hashed",
        "select customer_id, minhash(full_name) as signature, columns('full_name|country')\n"
        "from {{ ref('stg_customers') }}",
    )
    project.write(
        "transforms/models/marts/schema.yml",
        """
        models:
          - name: customer_orders
            description: Every customer who ordered, with the total spent.
            columns:
              - name: full_name
                description: First and last name, from the staging view.
                data_tests: [not_null, unique]
              - name: total
                description: Sum of the orders' amounts.
          - name: all_names
            description: Customer names and order ids in one list.
        """,
    )


@pytest.fixture(scope="module")
def shop_docs(tmp_path_factory) -> tuple[TempProject, Path, str]:
    project = TempProject(tmp_path_factory.mktemp("docs") / "shop")
    write_shop(project)
    project.riftlab("build", check=True)
    result = project.riftlab("docs", check=True)
    page = project.root / "reports" / "docs" / "index.html"
    return project, page, result.stdout


def _row(html: str, model: str, column: str) -> dict[str, str]:
    """The cells of a column's row, as text, by class."""
    row = re.search(rf'<tr id="col-{model}-{column}".*?</tr>', html, re.S)
    assert row, f"no row for {model}.{column}"
    cells = dict(re.findall(r'<td class="([a-z-]+)">(.*?)</td>', row.group(0), re.S))
    text = {k: re.sub(r"<br>", " | ", re.sub(r"<(?!br)[^>]+>", "", v)) for k, v in cells.items()}
    return {k: " ".join(unescape(v).split()) for k, v in text.items()}


def test_docs_command_reports_what_it_resolved(shop_docs):
    _, page, stdout = shop_docs
    assert page.is_file()
    assert re.search(r"columns: lineage resolved for \d+, not resolved for 2\n", stdout), stdout
    assert f"HTML: {page}" in stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install -y chromium)")
def test_docs_render_offline_with_lineage_through_two_models(shop_docs, tmp_path):
    _, page, _ = shop_docs
    source = page.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', source), "the page must not load anything from the network"
    # opened on a column: the page's script lights up every column upstream of it
    shown = offline_chromium(page.as_uri() + "#col-customer_orders-full_name", tmp_path / "profile", "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    dom = shown.stdout
    lit = re.findall(r'<tr id="col-[^"]*" data-column="([^"]+)" class="on-path">', dom)
    assert sorted(lit) == [
        "customer_orders.full_name",
        "customers.first_name",
        "customers.last_name",
        "stg_customers.full_name",
    ]

    # customer_orders.full_name <- stg_customers.full_name <- customers.first_name, customers.last_name
    full_name = _row(dom, "customer_orders", "full_name")
    assert full_name["fed-by"] == "stg_customers.full_name"
    assert full_name["traced-to"] == "customers.first_name | customers.last_name"
    assert "First and last name, from the staging view." in dom and "not_null" in dom
    assert _row(dom, "customer_orders", "total")["traced-to"] == "orders.amount"  # through a CTE over select *
    # a union: both branches; a literal: a constant
    assert _row(dom, "all_names", "name")["fed-by"] == "orders.id | stg_customers.full_name"
    assert _row(dom, "all_names", "kind")["fed-by"] == "a constant (reads no column)"
    # riftlab's own functions parse; what sqlglot cannot name is said per column
    assert _row(dom, "customers_hashed", "signature")["fed-by"] == "stg_customers.full_name"
    assert _row(dom, "customers_hashed", "customer_id")["traced-to"] == "customers.id"
    for column in ("full_name", "country"):  # made by COLUMNS(...): said per column
        assert _row(dom, "customers_hashed", column)["fed-by"].startswith("not resolved: sqlglot does not see")
    # the DAG, descriptions, last build and rows
    assert 'data-edge="stg_customers-&gt;customer_orders"' in dom or 'data-edge="stg_customers->customer_orders"' in dom
    section = re.search(r'<section class="node" id="node-customer_orders".*?</section>', dom, re.S).group(0)
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", section)).split())
    assert "Every customer who ordered, with the total spent." in text
    assert "rows: 2" in text and "last build: success" in text and "upstream: orders , stg_customers" in text

    shot = tmp_path / "docs.png"
    taken = offline_chromium(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1600")
    assert taken.returncode == 0 and shot.stat().st_size > 30_000  # drawn, not blank


def test_docs_before_any_build_resolve_from_the_sql_alone(tmp_path):
    """No warehouse yet: columns come from the SQL and the seeds' headers; no runs, no row counts."""
    from warehouse.docs.page import build_docs

    project = TempProject(tmp_path / "shop")
    write_shop(project)
    page, target = build_docs(project.load())
    assert target.is_file() and not project.db.exists()
    nodes = {n.name: n for n in page.nodes}
    columns = {c.name: c for c in nodes["stg_customers"].columns}
    assert [u.label for u in columns["full_name"].lineage.direct] == ["customers.first_name", "customers.last_name"]
    assert nodes["customer_orders"].rows is None and nodes["customer_orders"].last_run is None
    # seeds' columns come from their CSV header, so the select * over orders still resolves
    total = next(c for c in nodes["customer_orders"].columns if c.name == "total")
    assert [u.label for u in total.origins] == ["orders.amount"]
    unnamed = [c.lineage.unresolved for c in nodes["customers_hashed"].columns if c.lineage.unresolved]
    assert unnamed == ["it reads columns sqlglot cannot name (COLUMNS(...), a positional #n, an unexpanded *)"]


def test_lineage_of_riftlabs_own_transforms_resolves_every_column(tmp_path):
    """DuckDB SQL with CTEs, unions, select *, unnest, lambdas and riftlab's SQL functions, before any build:
    every column of every model resolves (landing tables from their DDL, seeds and rule tables from their files)."""
    from warehouse.docs.page import build_docs
    from warehouse.project import Project

    repo = Path(__file__).resolve().parents[2]
    page, _ = build_docs(Project.load(repo, tmp_path / "none.duckdb"), tmp_path / "docs.html")
    models = {n.name: n for n in page.nodes if n.kind == "model"}
    assert len(models) > 20 and [n.name for n in models.values() if n.lineage_error] == []
    unresolved = [f"{n.name}.{c.name}" for n in models.values() for c in n.columns if c.lineage.unresolved]
    assert unresolved == [] and page.resolved == sum(len(n.columns) for n in models.values())
    chunk_document = next(c for c in models["corpus_chunks"].columns if c.name == "document_id")
    assert [u.label for u in chunk_document.lineage.direct] == ["corpus_documents.document_id"]
    # crawled and augmented documents, and kit cards written from the facts by rules (with the overrides seed)
    origins = {u.relation for u in chunk_document.origins}
    assert "raw.documents" in origins and "raw.facts" in origins
    assert origins <= {"raw.documents", "raw.augmentations", "raw.facts", "rules_kit_cards", "champion_overrides"}
