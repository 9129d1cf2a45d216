"""Where leads live: SQLModel tables, engine and sessions, queries, Alembic migrations."""
