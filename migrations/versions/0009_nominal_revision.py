"""nominal.revision: a counter bumped on every save, so each process's matching index
notices edited nominals

Revision ID: 0009_nominal_revision
Revises: 0008_scale_indexes
Create Date: 2026-11-22 20:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009_nominal_revision'
down_revision = '0008_scale_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('nominal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('nominal', schema=None) as batch_op:
        batch_op.drop_column('revision')
