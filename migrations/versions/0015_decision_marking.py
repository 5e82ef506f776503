"""decision_log_entry.classification: the subject's marking when the decision was logged, so
an entry about a link stays as restricted as the link after the link is removed

Revision ID: 0015_decision_marking
Revises: 0014_referral_marking
Create Date: 2026-11-23 04:55:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0015_decision_marking'
down_revision = '0014_referral_marking'
branch_labels = None
depends_on = None

MARKINGS = ('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET')
# Subjects that carry their own marking (the subject type is its table), where they still exist.
MARKED_SUBJECTS = ("nominal_association", "operation_association")


def upgrade() -> None:
    with op.batch_alter_table('decision_log_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classification', sa.Enum(*MARKINGS, name='classification', native_enum=False,
                                                                 create_constraint=True, length=20),
                                      nullable=True))
    for table in MARKED_SUBJECTS:
        op.execute(f"UPDATE decision_log_entry SET classification = "
                   f"(SELECT {table}.classification FROM {table} WHERE {table}.id = decision_log_entry.subject_id) "
                   f"WHERE subject_type = '{table}'")


def downgrade() -> None:
    with op.batch_alter_table('decision_log_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_decision_log_entry_classification'), type_='check')
        batch_op.drop_column('classification')
