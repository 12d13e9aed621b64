"""Database plumbing: one MetaData, engines, the unit of work and Alembic migrations."""
