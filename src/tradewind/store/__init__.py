"""Layer 5: persistence with SQLAlchemy 2 and Alembic. SQLite by default (WAL), PostgreSQL by URL."""

from tradewind.store.db import Store, database_url

__all__ = ["Store", "database_url"]
