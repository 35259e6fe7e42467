"""DuckDB's SQL test files run through deltasql (see runner.py)."""
