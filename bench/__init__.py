"""Benchmarks: deltasql against DuckDB on the same data in the same run (`python -m bench`)."""
