"""GAIN circulation

Revision ID: 0005_circulation
Revises: 0004_dissemination
Create Date: 2026-11-22 16:41:09.087483
"""
from alembic import op
import sqlalchemy as sa
import gainportal.db


revision = '0005_circulation'
down_revision = '0004_dissemination'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gain_agency_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_agency_group_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['gain_agency_id'], ['agency.id'], name=op.f('fk_agency_group_gain_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_group')),
    sa.UniqueConstraint('gain_agency_id', 'name', name=op.f('uq_agency_group_gain_agency_id'))
    )
    with op.batch_alter_table('agency_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_group_gain_agency_id'), ['gain_agency_id'], unique=False)

    op.create_table('agency_group_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_group_member_agency_id_agency')),
    sa.ForeignKeyConstraint(['group_id'], ['agency_group.id'], name=op.f('fk_agency_group_member_group_id_agency_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_group_member')),
    sa.UniqueConstraint('group_id', 'agency_id', name=op.f('uq_agency_group_member_group_id'))
    )
    with op.batch_alter_table('agency_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_group_member_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_group_member_group_id'), ['group_id'], unique=False)

    op.create_table('gain_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('gain_agency_id', sa.Integer(), nullable=False),
    sa.Column('referring_agency_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=True),
    sa.Column('requirement_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('submitted', 'accepted', 'declined', 'merged', name='referralstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('referred_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('concern_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('rationale_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_gain_referral_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_gain_referral_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['gain_agency_id'], ['agency.id'], name=op.f('fk_gain_referral_gain_agency_id_agency')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['gain_referral.id'], name=op.f('fk_gain_referral_merged_into_id_gain_referral')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_gain_referral_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referred_by_id'], ['user_account.id'], name=op.f('fk_gain_referral_referred_by_id_user_account')),
    sa.ForeignKeyConstraint(['referring_agency_id'], ['agency.id'], name=op.f('fk_gain_referral_referring_agency_id_agency')),
    sa.ForeignKeyConstraint(['requirement_id'], ['requirement.id'], name=op.f('fk_gain_referral_requirement_id_requirement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gain_referral')),
    sa.UniqueConstraint('reference', name=op.f('uq_gain_referral_reference')),
    sa.UniqueConstraint('uid', name=op.f('uq_gain_referral_uid'))
    )
    with op.batch_alter_table('gain_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gain_referral_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gain_referral_gain_agency_id'), ['gain_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gain_referral_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gain_referral_referring_agency_id'), ['referring_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gain_referral_requirement_id'), ['requirement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gain_referral_state'), ['state'], unique=False)

    op.create_table('circulation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('gain_agency_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('sent', 'closed', name='circulationstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('classification', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('handling_code', sa.Enum('P', 'C', name='handlingcode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('purpose_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_circulation_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_circulation_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['gain_agency_id'], ['agency.id'], name=op.f('fk_circulation_gain_agency_id_agency')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_circulation_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referral_id'], ['gain_referral.id'], name=op.f('fk_circulation_referral_id_gain_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation')),
    sa.UniqueConstraint('reference', name=op.f('uq_circulation_reference')),
    sa.UniqueConstraint('uid', name=op.f('uq_circulation_uid'))
    )
    with op.batch_alter_table('circulation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circulation_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_gain_agency_id'), ['gain_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_state'), ['state'], unique=False)

    op.create_table('circulation_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circulation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('person', 'vehicle', 'business', 'premises', name='subjectkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('details_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('name_index', sa.String(length=32), nullable=True),
    sa.Column('vrm_index', sa.String(length=32), nullable=True),
    sa.Column('postcode_index', sa.String(length=32), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['circulation_id'], ['circulation.id'], name=op.f('fk_circulation_subject_circulation_id_circulation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_circulation_subject_data_key_id_data_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_subject')),
    sa.UniqueConstraint('circulation_id', 'position', name=op.f('uq_circulation_subject_circulation_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_circulation_subject_uid'))
    )
    with op.batch_alter_table('circulation_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circulation_subject_circulation_id'), ['circulation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_subject_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_subject_name_index'), ['name_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_subject_postcode_index'), ['postcode_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_subject_vrm_index'), ['vrm_index'], unique=False)

    op.create_table('circulation_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circulation_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('plan_item_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_chased_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_circulation_target_agency_id_agency')),
    sa.ForeignKeyConstraint(['circulation_id'], ['circulation.id'], name=op.f('fk_circulation_target_circulation_id_circulation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_item_id'], ['collection_plan_item.id'], name=op.f('fk_circulation_target_plan_item_id_collection_plan_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_target')),
    sa.UniqueConstraint('circulation_id', 'agency_id', name=op.f('uq_circulation_target_circulation_id'))
    )
    with op.batch_alter_table('circulation_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circulation_target_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_target_circulation_id'), ['circulation_id'], unique=False)

    op.create_table('disruption_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circulation_id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('power', sa.Enum('civil', 'regulatory', 'criminal', name='powerkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('planned', 'done', 'not_taken', name='disruptionstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('action_date', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('owner_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('action_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('outcome_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_disruption_action_agency_id_agency')),
    sa.ForeignKeyConstraint(['circulation_id'], ['circulation.id'], name=op.f('fk_disruption_action_circulation_id_circulation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_disruption_action_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_disruption_action_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_disruption_action_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disruption_action')),
    sa.UniqueConstraint('uid', name=op.f('uq_disruption_action_uid'))
    )
    with op.batch_alter_table('disruption_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disruption_action_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disruption_action_circulation_id'), ['circulation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disruption_action_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disruption_action_operation_id'), ['operation_id'], unique=False)

    op.create_table('circulation_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('outcome_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('followup_request_id', sa.Integer(), nullable=True),
    sa.Column('note_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_circulation_result_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_circulation_result_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['followup_request_id'], ['information_request.id'], name=op.f('fk_circulation_result_followup_request_id_information_request')),
    sa.ForeignKeyConstraint(['subject_id'], ['circulation_subject.id'], name=op.f('fk_circulation_result_subject_id_circulation_subject'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['circulation_target.id'], name=op.f('fk_circulation_result_target_id_circulation_target'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_result')),
    sa.UniqueConstraint('target_id', 'subject_id', name=op.f('uq_circulation_result_target_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_circulation_result_uid'))
    )
    with op.batch_alter_table('circulation_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circulation_result_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_result_followup_request_id'), ['followup_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_result_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circulation_result_target_id'), ['target_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('circulation_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circulation_result_target_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_result_subject_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_result_followup_request_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_result_data_key_id'))

    op.drop_table('circulation_result')
    with op.batch_alter_table('disruption_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disruption_action_operation_id'))
        batch_op.drop_index(batch_op.f('ix_disruption_action_data_key_id'))
        batch_op.drop_index(batch_op.f('ix_disruption_action_circulation_id'))
        batch_op.drop_index(batch_op.f('ix_disruption_action_agency_id'))

    op.drop_table('disruption_action')
    with op.batch_alter_table('circulation_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circulation_target_circulation_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_target_agency_id'))

    op.drop_table('circulation_target')
    with op.batch_alter_table('circulation_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circulation_subject_vrm_index'))
        batch_op.drop_index(batch_op.f('ix_circulation_subject_postcode_index'))
        batch_op.drop_index(batch_op.f('ix_circulation_subject_name_index'))
        batch_op.drop_index(batch_op.f('ix_circulation_subject_data_key_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_subject_circulation_id'))

    op.drop_table('circulation_subject')
    with op.batch_alter_table('circulation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circulation_state'))
        batch_op.drop_index(batch_op.f('ix_circulation_referral_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_operation_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_gain_agency_id'))
        batch_op.drop_index(batch_op.f('ix_circulation_deadline'))
        batch_op.drop_index(batch_op.f('ix_circulation_data_key_id'))

    op.drop_table('circulation')
    with op.batch_alter_table('gain_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gain_referral_state'))
        batch_op.drop_index(batch_op.f('ix_gain_referral_requirement_id'))
        batch_op.drop_index(batch_op.f('ix_gain_referral_referring_agency_id'))
        batch_op.drop_index(batch_op.f('ix_gain_referral_operation_id'))
        batch_op.drop_index(batch_op.f('ix_gain_referral_gain_agency_id'))
        batch_op.drop_index(batch_op.f('ix_gain_referral_data_key_id'))

    op.drop_table('gain_referral')
    with op.batch_alter_table('agency_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_group_member_group_id'))
        batch_op.drop_index(batch_op.f('ix_agency_group_member_agency_id'))

    op.drop_table('agency_group_member')
    with op.batch_alter_table('agency_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_group_gain_agency_id'))

    op.drop_table('agency_group')
