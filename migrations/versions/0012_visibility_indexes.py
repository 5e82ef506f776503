"""indexes for the visibility check on every page, the co-ordinator's period table and the
partner inbox

Revision ID: 0012_visibility_indexes
Revises: 0011_attachment_upload_token
Create Date: 2026-11-23 01:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0012_visibility_indexes'
down_revision = '0011_attachment_upload_token'
branch_labels = None
depends_on = None

# (table, name, columns, partial WHERE or None)
INDEXES = [
    # Every visible_to() asks for the operations a person holds a current signature on: from
    # these two the answer comes from the indexes alone (a partner on ~600 registers: 8.5 ms
    # and 2,275 buffers -> 1.0 ms and 28 at national size).
    ("indoctrination", "ix_indoctrination_user_current", ["user_id", "agreement_id", "expires_at", "operation_id"],
     "revoked_at IS NULL"),
    ("indoctrination_agreement", "ix_indoctrination_agreement_current", ["audience", "id"], "superseded_at IS NULL"),
    ("information_request", "ix_information_request_operation_id_issued_at", ["operation_id", "issued_at"], None),
    # The partner inbox's page and total (2,388 -> 200 buffers, 9 -> 1.2 ms once vacuumed).
    ("information_request", "ix_information_request_agency_id_state_deadline_id",
     ["agency_id", "state", "deadline", "id"], None),
]
INCLUDE = {"ix_information_request_agency_id_state_deadline_id": ["classification", "operation_id"]}


def upgrade() -> None:
    # Plain CREATE INDEX, as in 0008 (no batch mode on SQLite).
    for table, name, columns, where in INDEXES:
        options = {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)} if where else {}
        if name in INCLUDE:
            options["postgresql_include"] = INCLUDE[name]
        op.create_index(name, table, columns, unique=False, **options)


def downgrade() -> None:
    for table, name, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
