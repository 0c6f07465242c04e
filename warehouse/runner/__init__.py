"""The dbt-style SQL model runner: models, seeds and rule tables built as one DAG."""
