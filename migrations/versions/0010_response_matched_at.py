"""partner_response.matched_at: answers are cross-matched by the job worker after the
submission commits, and a sweep finds those whose job was lost

Revision ID: 0010_response_matched_at
Revises: 0009_nominal_revision
Create Date: 2026-11-22 21:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0010_response_matched_at'
down_revision = '0009_nominal_revision'
branch_labels = None
depends_on = None

UNMATCHED = "matched_at IS NULL AND submitted_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table('partner_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True))
    # Until now answers were matched inside the submitting request, so every response
    # already submitted was checked then: without this the worker's sweep would re-match
    # the whole history of a live deployment the first time it ran.
    op.execute("UPDATE partner_response SET matched_at = submitted_at WHERE submitted_at IS NOT NULL")
    op.create_index('ix_partner_response_unmatched', 'partner_response', ['submitted_at'], unique=False,
                    postgresql_where=sa.text(UNMATCHED), sqlite_where=sa.text(UNMATCHED))


def downgrade() -> None:
    op.drop_index('ix_partner_response_unmatched', table_name='partner_response')
    with op.batch_alter_table('partner_response', schema=None) as batch_op:
        batch_op.drop_column('matched_at')
