"""The poem library in SQLite: models, repository, migrations, backups (no Qt)."""
