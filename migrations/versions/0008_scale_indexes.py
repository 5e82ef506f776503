"""indexes for national scale: partner inbox, operation requests by state, match queue,
register look-ups, who has seen an item

Revision ID: 0008_scale_indexes
Revises: 0007_associations
Create Date: 2026-11-22 18:50:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0008_scale_indexes'
down_revision = '0007_associations'
branch_labels = None
depends_on = None

OPEN = "state IN ('issued', 'acknowledged')"
INDEXES = [
    ("information_request", "ix_information_request_open_agency_deadline", ["agency_id", "deadline"]),
    ("information_request", "ix_information_request_operation_state", ["operation_id", "state"]),
    ("match_candidate", "ix_match_candidate_status_tier_score", ["status", "tier", "score"]),
    ("indoctrination", "ix_indoctrination_user_revoked", ["user_id", "revoked_at"]),
    ("audit_event", "ix_audit_event_object", ["object_type", "object_id"]),
]


def upgrade() -> None:
    # Plain CREATE INDEX (no batch mode): on SQLite a batch could rebuild audit_event and
    # drop its append-only triggers. At national size each index builds in about a second.
    for table, name, columns in INDEXES:
        partial = {"postgresql_where": sa.text(OPEN), "sqlite_where": sa.text(OPEN)} if "_open_" in name else {}
        op.create_index(name, table, columns, unique=False, **partial)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
