"""Import every context's tables so the one MetaData knows them all (Alembic, tests)."""

from careline.acd import tables as acd_tables
from careline.campaigns import tables as campaign_tables
from careline.channels import tables as channel_tables
from careline.complaints import tables as complaint_tables
from careline.consultations import tables as consultation_tables
from careline.db.metadata import metadata
from careline.directory import tables as directory_tables
from careline.integrations import tables as integration_tables
from careline.ivr import tables as ivr_tables
from careline.membership import tables as membership_tables
from careline.patients import tables as patient_tables
from careline.scheduling import tables as scheduling_tables
from careline.staff import tables as staff_tables
from careline.voicemail import tables as voicemail_tables

__all__ = [
    "metadata",
    "acd_tables",
    "campaign_tables",
    "channel_tables",
    "complaint_tables",
    "consultation_tables",
    "directory_tables",
    "integration_tables",
    "ivr_tables",
    "membership_tables",
    "patient_tables",
    "scheduling_tables",
    "staff_tables",
    "voicemail_tables",
]
