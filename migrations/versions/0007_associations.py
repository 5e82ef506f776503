"""family links, associations and OCG links

Revision ID: 0007_associations
Revises: 0006_matching
Create Date: 2026-11-22 18:22:39.256543
"""
from alembic import op
import sqlalchemy as sa
import gainportal.db


revision = '0007_associations'
down_revision = '0006_matching'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operation_association',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('linked', 'rival', name='operationlinkkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('classification', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('operation_id <> other_id', name=op.f('ck_operation_association_not_self')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_operation_association_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_operation_association_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_id'], ['operation.id'], name=op.f('fk_operation_association_other_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_operation_association_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_association')),
    sa.UniqueConstraint('operation_id', 'other_id', 'kind', name=op.f('uq_operation_association_operation_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_operation_association_uid'))
    )
    with op.batch_alter_table('operation_association', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_association_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_association_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_association_other_id'), ['other_id'], unique=False)

    op.create_table('nominal_association',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nominal_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('parent', 'sibling', 'partner', 'cousin', 'other_relative', 'associate', 'business_partner', 'rival', name='linkkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('classification', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('source', sa.Enum('police_record', 'partner_answer', 'intelligence_report', 'open_source', 'public_record', 'other', name='linksource', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('match_candidate_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rationale_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('nominal_id <> other_id', name=op.f('ck_nominal_association_not_self')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_nominal_association_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['match_candidate_id'], ['match_candidate.id'], name=op.f('fk_nominal_association_match_candidate_id_match_candidate'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['nominal_id'], ['nominal.id'], name=op.f('fk_nominal_association_nominal_id_nominal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_id'], ['nominal.id'], name=op.f('fk_nominal_association_other_id_nominal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_nominal_association_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominal_association')),
    sa.UniqueConstraint('nominal_id', 'other_id', 'kind', name=op.f('uq_nominal_association_nominal_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_nominal_association_uid'))
    )
    with op.batch_alter_table('nominal_association', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominal_association_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nominal_association_match_candidate_id'), ['match_candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nominal_association_nominal_id'), ['nominal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nominal_association_other_id'), ['other_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('nominal_association', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nominal_association_other_id'))
        batch_op.drop_index(batch_op.f('ix_nominal_association_nominal_id'))
        batch_op.drop_index(batch_op.f('ix_nominal_association_match_candidate_id'))
        batch_op.drop_index(batch_op.f('ix_nominal_association_data_key_id'))

    op.drop_table('nominal_association')
    with op.batch_alter_table('operation_association', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_association_other_id'))
        batch_op.drop_index(batch_op.f('ix_operation_association_operation_id'))
        batch_op.drop_index(batch_op.f('ix_operation_association_data_key_id'))

    op.drop_table('operation_association')
