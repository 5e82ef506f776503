"""gain_referral.classification: a referral carries the marking of the operation it came
from (OFFICIAL-SENSITIVE for a partner's own concern), and only people cleared for it,
GAIN co-ordinators included, may see it

Revision ID: 0014_referral_marking
Revises: 0013_candidate_request
Create Date: 2026-11-23 04:25:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0014_referral_marking'
down_revision = '0013_candidate_request'
branch_labels = None
depends_on = None

MARKINGS = ('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET')


def upgrade() -> None:
    with op.batch_alter_table('gain_referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classification', sa.String(length=20), nullable=True))
    # Referrals already made take their operation's marking, as new ones do.
    op.execute("UPDATE gain_referral SET classification = "
               "(SELECT operation.classification FROM operation WHERE operation.id = gain_referral.operation_id) "
               "WHERE operation_id IS NOT NULL")
    op.execute("UPDATE gain_referral SET classification = 'OFFICIAL-SENSITIVE' WHERE classification IS NULL")
    with op.batch_alter_table('gain_referral', schema=None) as batch_op:
        batch_op.alter_column('classification', existing_type=sa.String(length=20),
                              type_=sa.Enum(*MARKINGS, name='classification', native_enum=False,
                                            create_constraint=True, length=20),
                              nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('gain_referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_gain_referral_classification'), type_='check')
        batch_op.drop_column('classification')
