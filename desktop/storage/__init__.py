"""SQLite databases in the per-user data folder: one set of rules for every store."""
