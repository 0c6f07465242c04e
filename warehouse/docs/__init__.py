"""``riftlab docs``: a static, offline page of the DAG with column-level lineage."""
