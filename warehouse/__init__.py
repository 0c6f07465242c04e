"""Data warehouse: DuckDB access, the SQL model runner and the riftlab CLI."""
