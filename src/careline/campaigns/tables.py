"""Tables of the campaigns context.

Every attempt to reach a patient is a ``campaign_attempts`` row with a due time; workers
claim due rows (``ix_campaign_attempts_due``) and the unique (target, number) pair keeps
a retry from being written twice. A campaign keeps its own copy of the message and the
questionnaire it was created with; ``campaign_templates`` and ``campaign_questionnaires``
are the library they are copied from, so editing the library never changes a campaign
that is already running.
"""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("audience", sa.JSON, nullable=False),
    sa.Column("channels", sa.String(32), nullable=False),
    sa.Column("urgent", sa.Boolean, nullable=False, default=False),
    sa.Column("body_zh", sa.String(1000), nullable=False),
    sa.Column("body_en", sa.String(1000), nullable=False, default=""),
    sa.Column("subject_zh", sa.String(1000), nullable=False, default=""),
    sa.Column("subject_en", sa.String(1000), nullable=False, default=""),
    sa.Column("questionnaire", sa.JSON, nullable=True),
    sa.Column("audience_day", sa.Date, nullable=True),
    sa.Column("starts_at", UtcDateTime, nullable=True),
    sa.Column("audience_size", sa.Integer, nullable=False, default=0),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_campaigns_status", "status"),
)

campaign_targets = sa.Table(
    "campaign_targets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("address", sa.String(254), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_outcome", sa.String(16), nullable=True),
    sa.Column("token", sa.String(32), nullable=False, unique=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("campaign_id", "patient_id"),
    sa.Index("ix_campaign_targets_campaign_status", "campaign_id", "status"),
)

campaign_attempts = sa.Table(
    "campaign_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "target_id",
        sa.Integer,
        sa.ForeignKey("campaign_targets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("campaign_id", sa.Integer, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=True),
    sa.Column("sip_code", sa.Integer, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("ended_at", UtcDateTime, nullable=True),
    # For SMS/email: the channels message queued, and whether it was marketing (greetings)
    # or a service notification, so the SMS route it needs can be audited (0004).
    sa.Column("message_id", sa.Integer, nullable=True),
    sa.Column("message_kind", sa.String(16), nullable=True),
    sa.UniqueConstraint("target_id", "number"),
    sa.Index("ix_campaign_attempts_due", "state", "due_at"),
    sa.Index("ix_campaign_attempts_campaign", "campaign_id", "outcome"),
)

campaign_answers = sa.Table(
    "campaign_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "target_id",
        sa.Integer,
        sa.ForeignKey("campaign_targets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("campaign_id", sa.Integer, nullable=False),
    sa.Column("question_key", sa.String(32), nullable=False),
    sa.Column("answer", sa.String(1000), nullable=False),
    sa.Column("recording", sa.String(255), nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("target_id", "question_key"),
    sa.Index("ix_campaign_answers_campaign", "campaign_id", "question_key"),
)

campaign_do_not_call = sa.Table(
    "campaign_do_not_call",
    metadata,
    sa.Column(
        "patient_id",
        sa.Integer,
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)

campaign_templates = sa.Table(
    "campaign_templates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("body_zh", sa.String(1000), nullable=False),
    sa.Column("body_en", sa.String(1000), nullable=False, default=""),
    sa.Column("subject_zh", sa.String(1000), nullable=False, default=""),
    sa.Column("subject_en", sa.String(1000), nullable=False, default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

campaign_questionnaires = sa.Table(
    "campaign_questionnaires",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("questions", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# A check-up a patient is due for (set by staff or imported from CSV); the ``checkup_due``
# audience uses the earliest one instead of the interval since the last visit (0004).
campaign_checkups = sa.Table(
    "campaign_checkups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "patient_id",
        sa.Integer,
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("patient_id", "kind"),
    sa.Index("ix_campaign_checkups_due_on", "due_on"),
)
