"""handling on responses, disclosure flag, dissemination

Revision ID: 0004_dissemination
Revises: 0003_indoctrination
Create Date: 2026-11-22 16:39:46.379813
"""
from alembic import op
import sqlalchemy as sa
import gainportal.db


revision = '0004_dissemination'
down_revision = '0003_indoctrination'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('dissemination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('lawful_basis', sa.Enum('dpa_2018_part_3', 'dpa_2018_schedule_2', 'cda_1998_s115', 'isa', 'other', name='lawfulbasis', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('marking', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('response_ids', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('purpose_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('necessity_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('recipients_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_dissemination_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_dissemination_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_dissemination_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['released_by_id'], ['user_account.id'], name=op.f('fk_dissemination_released_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dissemination')),
    sa.UniqueConstraint('uid', name=op.f('uq_dissemination_uid'))
    )
    with op.batch_alter_table('dissemination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dissemination_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dissemination_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dissemination_status'), ['status'], unique=False)

    op.create_table('sanitised_briefing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('marking', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('text_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_sanitised_briefing_approved_by_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_sanitised_briefing_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_sanitised_briefing_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_sanitised_briefing_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanitised_briefing')),
    sa.UniqueConstraint('uid', name=op.f('uq_sanitised_briefing_uid'))
    )
    with op.batch_alter_table('sanitised_briefing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanitised_briefing_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sanitised_briefing_operation_id'), ['operation_id'], unique=False)

    op.create_table('consent_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dissemination_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_consent_request_agency_id_agency')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_consent_request_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_consent_request_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['dissemination_id'], ['dissemination.id'], name=op.f('fk_consent_request_dissemination_id_dissemination'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['partner_response.id'], name=op.f('fk_consent_request_response_id_partner_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_request')),
    sa.UniqueConstraint('uid', name=op.f('uq_consent_request_uid'))
    )
    with op.batch_alter_table('consent_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_request_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_request_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_request_dissemination_id'), ['dissemination_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_request_status'), ['status'], unique=False)

    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disclosure_flag', sa.String(length=20), nullable=True))

    with op.batch_alter_table('partner_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classification', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), server_default='OFFICIAL-SENSITIVE', nullable=False))
        batch_op.add_column(sa.Column('handling_code', sa.Enum('P', 'C', name='handlingcode', native_enum=False, create_constraint=True), server_default='P', nullable=False))
        batch_op.add_column(sa.Column('handling_conditions', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))




def downgrade() -> None:

    with op.batch_alter_table('partner_response', schema=None) as batch_op:
        # The enum CHECK constraints go first, or SQLite's table copy would still name the columns.
        batch_op.drop_constraint(op.f('ck_partner_response_handlingcode'), type_='check')
        batch_op.drop_constraint(op.f('ck_partner_response_classification'), type_='check')
        batch_op.drop_column('handling_conditions')
        batch_op.drop_column('handling_code')
        batch_op.drop_column('classification')

    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.drop_column('disclosure_flag')

    with op.batch_alter_table('consent_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_request_status'))
        batch_op.drop_index(batch_op.f('ix_consent_request_dissemination_id'))
        batch_op.drop_index(batch_op.f('ix_consent_request_data_key_id'))
        batch_op.drop_index(batch_op.f('ix_consent_request_agency_id'))

    op.drop_table('consent_request')
    with op.batch_alter_table('sanitised_briefing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanitised_briefing_operation_id'))
        batch_op.drop_index(batch_op.f('ix_sanitised_briefing_data_key_id'))

    op.drop_table('sanitised_briefing')
    with op.batch_alter_table('dissemination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dissemination_status'))
        batch_op.drop_index(batch_op.f('ix_dissemination_operation_id'))
        batch_op.drop_index(batch_op.f('ix_dissemination_data_key_id'))

    op.drop_table('dissemination')

