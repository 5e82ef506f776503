"""nominal blind indexes and match candidates

Revision ID: 0006_matching
Revises: 0005_circulation
Create Date: 2026-11-22 16:55:29.706910
"""
from alembic import op
import sqlalchemy as sa
import gainportal.db


revision = '0006_matching'
down_revision = '0005_circulation'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('nominal_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nominal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['nominal_id'], ['nominal.id'], name=op.f('fk_nominal_key_nominal_id_nominal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominal_key')),
    sa.UniqueConstraint('nominal_id', 'kind', 'digest', name=op.f('uq_nominal_key_nominal_id'))
    )
    with op.batch_alter_table('nominal_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominal_key_digest'), ['digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_nominal_key_nominal_id'), ['nominal_id'], unique=False)

    op.create_table('match_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('nominal_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('tier', sa.String(length=10), nullable=False),
    sa.Column('relationship_kind', sa.String(length=20), nullable=False),
    sa.Column('span_start', sa.Integer(), nullable=True),
    sa.Column('span_end', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('features_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('rationale_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_match_candidate_answer_id_answer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_match_candidate_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_match_candidate_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['nominal_id'], ['nominal.id'], name=op.f('fk_match_candidate_nominal_id_nominal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_match_candidate_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_candidate')),
    sa.UniqueConstraint('answer_id', 'nominal_id', name=op.f('uq_match_candidate_answer_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_match_candidate_uid'))
    )
    with op.batch_alter_table('match_candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_candidate_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_candidate_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_candidate_nominal_id'), ['nominal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_candidate_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_candidate_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('match_candidate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_candidate_status'))
        batch_op.drop_index(batch_op.f('ix_match_candidate_operation_id'))
        batch_op.drop_index(batch_op.f('ix_match_candidate_nominal_id'))
        batch_op.drop_index(batch_op.f('ix_match_candidate_data_key_id'))
        batch_op.drop_index(batch_op.f('ix_match_candidate_answer_id'))

    op.drop_table('match_candidate')
    with op.batch_alter_table('nominal_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nominal_key_nominal_id'))
        batch_op.drop_index(batch_op.f('ix_nominal_key_digest'))

    op.drop_table('nominal_key')

