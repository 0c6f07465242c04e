"""Seeds, rule files, config and Jinja: bad input gets one clear line naming the file."""

from __future__ import annotations

import pytest

from warehouse.errors import ConfigError, ModelError
from warehouse.runner.build import build
from warehouse.runner.manifest import load_manifest


def test_rules_become_tables_and_jinja_variables(project):
    project.write(
        "transforms/rules/masks.yml",
        """
        description: words to mask
        columns:
          name: text
          pattern: regex
          action: [mask, drop_sentence]
        rules:
          - {name: numbers, pattern: '\\d+', action: mask}
          - {name: patch, pattern: 'patch \\d+', action: drop_sentence}
        """,
    )
    project.model(
        "masked",
        """
        select regexp_replace('cooldown 14 seconds', pattern, '#', 'g') as text, name
        from {{ ref('rules_masks') }}
        where action = {{ sql_string(rules.masks.rules[0].action) }}
        """,
    )
    results = build(project.load())
    assert [r.status for r in results] == ["success", "success"]
    assert project.rows("select text, name from main.masked") == [("cooldown # seconds", "numbers")]


@pytest.mark.parametrize(
    "body, message",
    [
        ("- just a list", "must be a mapping"),
        ("rules: {a: 1}", "'rules' must be a list of mappings"),
        (
            "columns: {pattern: regex}\nrules:\n  - {pattern: '(unclosed'}",
            r"rule 1 'pattern' is not a valid regular expression",
        ),
        ("columns: {pattern: regex}\nrules:\n  - {pattern: '(?<=x)y'}", "not a valid RE2 regular expression"),
        (
            "columns: {name: text, action: [mask]}\nrules:\n  - {name: a, action: explode}",
            r"rule 1 \('a'\) 'action' is 'explode'",
        ),
        ("columns: {name: text}\nrules:\n  - {name: a, extra: 1}", r"unknown key\(s\) extra"),
        ("columns: {name: text}\nrules:\n  - {}", "is missing 'name'"),
        ("rules: [\n", "invalid YAML"),
        ("defaults: [1]\nrules: []", "'defaults' must map column names to values"),
        ("columns: {name: text}\ndefaults: {nme: x}\nrules: []", r"'defaults' names undeclared column\(s\) nme"),
        (
            "columns:\n  weight: number?\ndefaults: {weight: heavy}\nrules: []",
            "'defaults' 'weight' must be a number, got 'heavy'",
        ),
    ],
)
def test_rule_file_of_the_wrong_shape(project, body, message):
    project.write("transforms/rules/bad.yml", body + "\n")
    project.model("m", "select 1")
    with pytest.raises(ConfigError, match=message) as info:
        load_manifest(project.root / "transforms", {})
    assert "transforms/rules/bad.yml" in str(info.value)


def test_rule_defaults_fill_what_a_rule_leaves_out(project):
    """A rule without an optional column takes the file's default (or null) in Jinja and in the rule table."""
    project.write(
        "transforms/rules/masks.yml",
        """
        columns:
          name: text
          pattern: regex
          replacement: text?
          weight: number?
        defaults:
          replacement: ''
        rules:
          - {name: numbers, pattern: '\\d+'}
          - {name: hashes, pattern: '#', replacement: hash}
        """,
    )
    project.model(
        "masked",
        """
        {%- for rule in rules.masks.rules %}
        select {{ sql_string(rule.name) }} as name, {{ rule.weight is none }} as unweighted,
            regexp_replace(
                'cooldown 14 #', {{ sql_string(rule.pattern) }}, {{ sql_string(rule.replacement) }}, 'g'
            ) as text
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
        """,
    )
    results = build(project.load())
    assert [r.status for r in results] == ["success", "success"], [r.error for r in results]
    assert project.rows("select name, unweighted, text from main.masked order by name") == [
        ("hashes", True, "cooldown 14 hash"),
        ("numbers", True, "cooldown  #"),
    ]
    assert project.rows("select name, replacement, weight from main.rules_masks order by name") == [
        ("hashes", "hash", None),
        ("numbers", "", None),
    ]


def test_ragged_seed_row_is_named(project):
    project.write("transforms/seeds/champs.csv", "name,role\nAhri,Mage\nGaren,Fighter,extra\n")
    project.model("m", "select 1")
    with pytest.raises(ModelError, match=r"transforms/seeds/champs\.csv:3: row has 3 field\(s\), the header has 2"):
        load_manifest(project.root / "transforms", {})


def test_sql_syntax_error_names_model_file_and_line(project):
    project.model("good", "select 1 as x")
    project.model("broken", "select 1 as x,\n  2 as y\nfrom from {{ ref('good') }}")
    results = {r.name: r for r in build(project.load())}
    assert results["good"].status == "success"
    assert results["broken"].status == "error"
    assert results["broken"].error.startswith("transforms/models/broken.sql:3: Parser Error")


def test_jinja_errors_name_the_file(project):
    project.model("m", "select {{ 1 + }}")
    with pytest.raises(ModelError, match=r"transforms/models/m\.sql:1: Jinja syntax error"):
        load_manifest(project.root / "transforms", {})


def test_missing_var_names_the_file(project):
    project.model("m", "select '{{ var('nope') }}'")
    with pytest.raises(ModelError, match=r"m\.sql:1: var\('nope'\) is not set"):
        load_manifest(project.root / "transforms", {})


def test_empty_transforms_is_an_error(project):
    with pytest.raises(ModelError, match="no SQL models found"):
        load_manifest(project.root / "transforms", {})


def test_unknown_config_key_names_key_and_file(project):
    from warehouse.project import Project

    project.write("riftlab.yaml", "warehouse:\n  pth: x.duckdb\n")
    with pytest.raises(ConfigError) as info:
        Project.load(project.root)
    message = str(info.value)
    assert "riftlab.yaml" in message and "'warehouse.pth'" in message and "did you mean 'path'" in message


def test_config_type_errors(project):
    from warehouse.project import Project

    project.write("riftlab.yaml", "vars: [1, 2]\n")
    with pytest.raises(ConfigError, match="'vars' must be a mapping"):
        Project.load(project.root)
    project.write("riftlab.yaml", "warehouse:\n  batch_rows: many\n")
    with pytest.raises(ConfigError, match="'warehouse.batch_rows' must be a number"):
        Project.load(project.root)


def test_db_override_order(project, monkeypatch, tmp_path):
    from warehouse.project import Project

    assert Project.load(project.root).db_path == project.root / "data" / "wh.duckdb"
    monkeypatch.setenv("RIFTLAB_DB", str(tmp_path / "env.duckdb"))
    assert Project.load(project.root).db_path == tmp_path / "env.duckdb"
    assert Project.load(project.root, tmp_path / "flag.duckdb").db_path == tmp_path / "flag.duckdb"
