"""Random SQL differential fuzzing: generated views run as deltasql views under random change streams
and compared with DuckDB after every step (see generator.py, runner.py; CLI: python -m tests.fuzz)."""
