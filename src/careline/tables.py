"""Import every context's tables so the one MetaData knows them all (Alembic, tests)."""

from careline.channels import tables as channel_tables
from careline.db.metadata import metadata
from careline.directory import tables as directory_tables
from careline.patients import tables as patient_tables
from careline.staff import tables as staff_tables

__all__ = ["metadata", "channel_tables", "directory_tables", "patient_tables", "staff_tables"]
