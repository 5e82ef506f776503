"""cycle and sealed storage

Revision ID: 0002_cycle
Revises: 0001_foundation
Create Date: 2026-11-22 15:55:43.598862
"""
from alembic import op
import sqlalchemy as sa
import gainportal.db


revision = '0002_cycle'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('data_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kek_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=True),
    sa.Column('owner_table', sa.String(length=60), nullable=False),
    sa.Column('owner_uid', sa.String(length=32), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shredded_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_key'))
    )
    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_key_kek_id'), ['kek_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_key_owner_uid'), ['owner_uid'], unique=False)

    op.create_table('nominal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('classification', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('details_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_nominal_data_key_id_data_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominal')),
    sa.UniqueConstraint('reference', name=op.f('uq_nominal_reference')),
    sa.UniqueConstraint('uid', name=op.f('uq_nominal_uid'))
    )
    with op.batch_alter_table('nominal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominal_data_key_id'), ['data_key_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=1000), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notification_dedupe_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    op.create_table('decision_log_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=80), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rationale_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_decision_log_entry_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_decision_log_entry_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_decision_log_entry_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_log_entry')),
    sa.UniqueConstraint('uid', name=op.f('uq_decision_log_entry_uid'))
    )
    with op.batch_alter_table('decision_log_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_log_entry_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_log_entry_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_log_entry_operation_id'), ['operation_id'], unique=False)

    op.create_table('nominal_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('nominal_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('principal', 'significant', 'peripheral', 'associate', name='nominalrole', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('linked_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['nominal_id'], ['nominal.id'], name=op.f('fk_nominal_link_nominal_id_nominal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_nominal_link_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominal_link')),
    sa.UniqueConstraint('operation_id', 'nominal_id', name=op.f('uq_nominal_link_operation_id'))
    )
    with op.batch_alter_table('nominal_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominal_link_nominal_id'), ['nominal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nominal_link_operation_id'), ['operation_id'], unique=False)

    op.create_table('operation_p_lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('pillar', sa.Enum('pursue', 'prevent', 'protect', 'prepare', name='pillar', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_operation_p_lead_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_operation_p_lead_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_p_lead')),
    sa.UniqueConstraint('operation_id', 'pillar', name=op.f('uq_operation_p_lead_operation_id'))
    )
    with op.batch_alter_table('operation_p_lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_p_lead_operation_id'), ['operation_id'], unique=False)

    op.create_table('operation_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_review_due', sa.Date(), nullable=False),
    sa.Column('notes_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_operation_review_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_operation_review_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_operation_review_reviewed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_review')),
    sa.UniqueConstraint('uid', name=op.f('uq_operation_review_uid'))
    )
    with op.batch_alter_table('operation_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_review_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_review_operation_id'), ['operation_id'], unique=False)

    op.create_table('requirement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('pillar', sa.Enum('pursue', 'prevent', 'protect', 'prepare', name='pillar', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('priority', sa.Enum('high', 'medium', 'low', name='priority', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('state', sa.Enum('draft', 'open', 'satisfied', 'closed', name='requirementstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('gap_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('intent_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_requirement_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_requirement_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_requirement_operation_id_operation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requirement')),
    sa.UniqueConstraint('operation_id', 'number', name=op.f('uq_requirement_operation_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_requirement_uid'))
    )
    with op.batch_alter_table('requirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requirement_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_requirement_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_requirement_state'), ['state'], unique=False)

    op.create_table('collection_plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requirement_id', sa.Integer(), nullable=False),
    sa.Column('source_agency_id', sa.Integer(), nullable=True),
    sa.Column('internal_source', sa.Enum('financial_investigation', 'neighbourhood_team', 'prison_intelligence', 'professional_standards', name='internalsource', native_enum=False, create_constraint=True, length=30), nullable=True),
    sa.Column('method', sa.Enum('overt', 'covert', 'penetrative', name='collectionmethod', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('lawful_basis', sa.Enum('dpa_2018_part_3', 'dpa_2018_schedule_2', 'cda_1998_s115', 'isa', 'other', name='lawfulbasis', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('isa_reference', sa.String(length=80), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notes_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_collection_plan_item_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_collection_plan_item_owner_id_user_account')),
    sa.ForeignKeyConstraint(['requirement_id'], ['requirement.id'], name=op.f('fk_collection_plan_item_requirement_id_requirement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_agency_id'], ['agency.id'], name=op.f('fk_collection_plan_item_source_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_plan_item')),
    sa.UniqueConstraint('uid', name=op.f('uq_collection_plan_item_uid'))
    )
    with op.batch_alter_table('collection_plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_plan_item_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_plan_item_requirement_id'), ['requirement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_plan_item_source_agency_id'), ['source_agency_id'], unique=False)

    op.create_table('information_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('plan_item_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'issued', 'acknowledged', 'answered', 'assessed', 'closed', 'declined', 'withdrawn', name='requeststate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('classification', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('handling_code', sa.Enum('P', 'C', name='handlingcode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('handling_conditions', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retention_until', sa.Date(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('purpose_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('jargon_override_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('state_reason_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_information_request_agency_id_agency')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_information_request_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_information_request_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_information_request_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_item_id'], ['collection_plan_item.id'], name=op.f('fk_information_request_plan_item_id_collection_plan_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_request')),
    sa.UniqueConstraint('reference', name=op.f('uq_information_request_reference')),
    sa.UniqueConstraint('uid', name=op.f('uq_information_request_uid'))
    )
    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_information_request_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_request_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_request_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_request_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_request_plan_item_id'), ['plan_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_request_retention_until'), ['retention_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_request_state'), ['state'], unique=False)

    op.create_table('intervention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_id', sa.Integer(), nullable=False),
    sa.Column('requirement_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('pillar', sa.String(length=10), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_intervention_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], name=op.f('fk_intervention_operation_id_operation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_intervention_owner_id_user_account')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_intervention_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['information_request.id'], name=op.f('fk_intervention_request_id_information_request')),
    sa.ForeignKeyConstraint(['requirement_id'], ['requirement.id'], name=op.f('fk_intervention_requirement_id_requirement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intervention')),
    sa.UniqueConstraint('uid', name=op.f('uq_intervention_uid'))
    )
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intervention_operation_id'), ['operation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intervention_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intervention_requirement_id'), ['requirement_id'], unique=False)

    op.create_table('partner_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'graded', name='responsestate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('grading', sa.String(length=3), nullable=True),
    sa.Column('graded_by_id', sa.Integer(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_partner_response_agency_id_agency')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_partner_response_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['graded_by_id'], ['user_account.id'], name=op.f('fk_partner_response_graded_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['information_request.id'], name=op.f('fk_partner_response_request_id_information_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_partner_response_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_response')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_partner_response_idempotency_key')),
    sa.UniqueConstraint('request_id', 'version', name=op.f('uq_partner_response_request_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_partner_response_uid'))
    )
    with op.batch_alter_table('partner_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_response_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_response_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_response_request_id'), ['request_id'], unique=False)

    op.create_table('request_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('from_partner', sa.Boolean(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('body_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_request_message_author_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_request_message_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['request_id'], ['information_request.id'], name=op.f('fk_request_message_request_id_information_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_message')),
    sa.UniqueConstraint('uid', name=op.f('uq_request_message_uid'))
    )
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_message_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_message_request_id'), ['request_id'], unique=False)

    op.create_table('request_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('heading', sa.Enum('business', 'crime', 'travel', 'vehicles', 'behaviour', 'lifestyle', name='heading', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('text_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['user_account.id'], name=op.f('fk_request_question_assigned_to_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_request_question_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['request_id'], ['information_request.id'], name=op.f('fk_request_question_request_id_information_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_question')),
    sa.UniqueConstraint('uid', name=op.f('uq_request_question_uid'))
    )
    with op.batch_alter_table('request_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_question_assigned_to_id'), ['assigned_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_question_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_question_request_id'), ['request_id'], unique=False)

    op.create_table('request_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('details_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('vrm_index', sa.String(length=32), nullable=True),
    sa.Column('postcode_index', sa.String(length=32), nullable=True),
    sa.Column('phone_index', sa.String(length=32), nullable=True),
    sa.Column('name_index', sa.String(length=32), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_request_subject_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['request_id'], ['information_request.id'], name=op.f('fk_request_subject_request_id_information_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_subject')),
    sa.UniqueConstraint('uid', name=op.f('uq_request_subject_uid'))
    )
    with op.batch_alter_table('request_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_subject_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_subject_name_index'), ['name_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_subject_phone_index'), ['phone_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_subject_postcode_index'), ['postcode_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_subject_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_subject_vrm_index'), ['vrm_index'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('answered', 'no_trace', name='answeroutcome', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_answer_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_answer_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['question_id'], ['request_question.id'], name=op.f('fk_answer_question_id_request_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['partner_response.id'], name=op.f('fk_answer_response_id_partner_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('response_id', 'question_id', name=op.f('uq_answer_response_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_answer_uid'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_response_id'), ['response_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filename_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('data_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_key.id'], name=op.f('fk_attachment_data_key_id_data_key')),
    sa.ForeignKeyConstraint(['question_id'], ['request_question.id'], name=op.f('fk_attachment_question_id_request_question')),
    sa.ForeignKeyConstraint(['response_id'], ['partner_response.id'], name=op.f('fk_attachment_response_id_partner_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_attachment_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('uid', name=op.f('uq_attachment_uid'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_response_id'), ['response_id'], unique=False)

    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocgm_band', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('tier', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('p_band', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('last_review_at', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_review_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('retention_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('summary_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('uid', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('data_key_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_operation_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_next_review_due'), ['next_review_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_retention_until'), ['retention_until'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_operation_uid'), ['uid'])
        batch_op.create_foreign_key(batch_op.f('fk_operation_data_key_id_data_key'), 'data_key', ['data_key_id'], ['id'])




def downgrade() -> None:

    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_operation_data_key_id_data_key'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_operation_uid'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_operation_retention_until'))
        batch_op.drop_index(batch_op.f('ix_operation_next_review_due'))
        batch_op.drop_index(batch_op.f('ix_operation_data_key_id'))
        batch_op.drop_column('data_key_id')
        batch_op.drop_column('uid')
        batch_op.drop_column('summary_sealed')
        batch_op.drop_column('retention_until')
        batch_op.drop_column('next_review_due')
        batch_op.drop_column('last_review_at')
        batch_op.drop_column('p_band')
        batch_op.drop_column('tier')
        batch_op.drop_column('ocgm_band')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_response_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_question_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_data_key_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_response_id'))
        batch_op.drop_index(batch_op.f('ix_answer_question_id'))
        batch_op.drop_index(batch_op.f('ix_answer_data_key_id'))

    op.drop_table('answer')
    with op.batch_alter_table('request_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_subject_vrm_index'))
        batch_op.drop_index(batch_op.f('ix_request_subject_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_subject_postcode_index'))
        batch_op.drop_index(batch_op.f('ix_request_subject_phone_index'))
        batch_op.drop_index(batch_op.f('ix_request_subject_name_index'))
        batch_op.drop_index(batch_op.f('ix_request_subject_data_key_id'))

    op.drop_table('request_subject')
    with op.batch_alter_table('request_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_question_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_question_data_key_id'))
        batch_op.drop_index(batch_op.f('ix_request_question_assigned_to_id'))

    op.drop_table('request_question')
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_message_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_message_data_key_id'))

    op.drop_table('request_message')
    with op.batch_alter_table('partner_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_response_request_id'))
        batch_op.drop_index(batch_op.f('ix_partner_response_data_key_id'))
        batch_op.drop_index(batch_op.f('ix_partner_response_agency_id'))

    op.drop_table('partner_response')
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intervention_requirement_id'))
        batch_op.drop_index(batch_op.f('ix_intervention_request_id'))
        batch_op.drop_index(batch_op.f('ix_intervention_operation_id'))
        batch_op.drop_index(batch_op.f('ix_intervention_data_key_id'))

    op.drop_table('intervention')
    with op.batch_alter_table('information_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_information_request_state'))
        batch_op.drop_index(batch_op.f('ix_information_request_retention_until'))
        batch_op.drop_index(batch_op.f('ix_information_request_plan_item_id'))
        batch_op.drop_index(batch_op.f('ix_information_request_operation_id'))
        batch_op.drop_index(batch_op.f('ix_information_request_deadline'))
        batch_op.drop_index(batch_op.f('ix_information_request_data_key_id'))
        batch_op.drop_index(batch_op.f('ix_information_request_agency_id'))

    op.drop_table('information_request')
    with op.batch_alter_table('collection_plan_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_plan_item_source_agency_id'))
        batch_op.drop_index(batch_op.f('ix_collection_plan_item_requirement_id'))
        batch_op.drop_index(batch_op.f('ix_collection_plan_item_data_key_id'))

    op.drop_table('collection_plan_item')
    with op.batch_alter_table('requirement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requirement_state'))
        batch_op.drop_index(batch_op.f('ix_requirement_operation_id'))
        batch_op.drop_index(batch_op.f('ix_requirement_data_key_id'))

    op.drop_table('requirement')
    with op.batch_alter_table('operation_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_review_operation_id'))
        batch_op.drop_index(batch_op.f('ix_operation_review_data_key_id'))

    op.drop_table('operation_review')
    with op.batch_alter_table('operation_p_lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_p_lead_operation_id'))

    op.drop_table('operation_p_lead')
    with op.batch_alter_table('nominal_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nominal_link_operation_id'))
        batch_op.drop_index(batch_op.f('ix_nominal_link_nominal_id'))

    op.drop_table('nominal_link')
    with op.batch_alter_table('decision_log_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_log_entry_operation_id'))
        batch_op.drop_index(batch_op.f('ix_decision_log_entry_decided_at'))
        batch_op.drop_index(batch_op.f('ix_decision_log_entry_data_key_id'))

    op.drop_table('decision_log_entry')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))
        batch_op.drop_index(batch_op.f('ix_notification_sent_at'))

    op.drop_table('notification')
    with op.batch_alter_table('nominal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nominal_data_key_id'))

    op.drop_table('nominal')
    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_key_owner_uid'))
        batch_op.drop_index(batch_op.f('ix_data_key_kek_id'))

    op.drop_table('data_key')

