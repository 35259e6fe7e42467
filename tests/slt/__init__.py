"""sqllogictest runner: SQLite's sqllogictest scripts run against deltasql's incremental views."""
