"""indoctrination agreements and register

Revision ID: 0003_indoctrination
Revises: 0002_cycle
Create Date: 2026-11-22 16:10:48.752262
"""
from alembic import op
import sqlalchemy as sa
import gainportal.db


revision = '0003_indoctrination'
down_revision = '0002_cycle'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('indoctrination_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('valid_months', sa.Integer(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('text_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_indoctrination_agreement_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_indoctrination_agreement_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_indoctrination_agreement_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indoctrination_agreement')),
    sa.UniqueConstraint('operation_id', 'audience', 'version', name=op.f('uq_indoctrination_agreement_operation_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_indoctrination_agreement_uid'))
    )
    with op.batch_alter_table('indoctrination_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indoctrination_agreement_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indoctrination_agreement_operation_id'), ['operation_id'], unique=False)

    op.create_table('indoctrination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_name', sa.String(length=200), nullable=True),
    sa.Column('signed_ip', sa.String(length=64), nullable=True),
    sa.Column('signed_user_agent', sa.String(length=300), nullable=True),
    sa.Column('expires_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revocation_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['indoctrination_agreement.id'], name=op.f('fk_indoctrination_agreement_id_indoctrination_agreement')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_indoctrination_invited_by_id_user_account')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_indoctrination_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_indoctrination_revoked_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_indoctrination_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indoctrination')),
    sa.UniqueConstraint('operation_id', 'user_id', name=op.f('uq_indoctrination_operation_id'))
    )
    with op.batch_alter_table('indoctrination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indoctrination_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indoctrination_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_indoctrination_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indoctrination_user_id'), ['user_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('indoctrination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indoctrination_user_id'))
        batch_op.drop_index(batch_op.f('ix_indoctrination_operation_id'))
        batch_op.drop_index(batch_op.f('ix_indoctrination_expires_at'))
        batch_op.drop_index(batch_op.f('ix_indoctrination_agreement_id'))

    op.drop_table('indoctrination')
    with op.batch_alter_table('indoctrination_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indoctrination_agreement_operation_id'))
        batch_op.drop_index(batch_op.f('ix_indoctrination_agreement_data_key_id'))

    op.drop_table('indoctrination_agreement')

