"""foundation: agencies, accounts, sessions, audit, operations

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-22 15:47:34.373509
"""
from alembic import op
import sqlalchemy as sa
import gainportal.db


revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY = {
    "postgresql": [
        """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$""",
        """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
           FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
        """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    ],
}
DROP_APPEND_ONLY = {
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_append_only()"],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"],
}


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.Enum('police_force', 'rocu', 'nca', 'council', 'health', 'rspca', 'housing', 'fire', 'education', 'hmrc', 'dwp', 'dvla', 'immigration', 'glaa', 'hse', 'probation', 'prison', 'private_sector', 'other', name='agencykind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_agency_code')),
    sa.UniqueConstraint('name', name=op.f('uq_agency_name'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('lro', 'analyst', 'gain_coordinator', 'supervisor', 'partner_spoc', 'partner_user', 'admin', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('clearance', sa.Enum('BPSS', 'SC', 'DV', name='clearance', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('totp_secret_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('totp_enrolled_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_user_account_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_agency_id'), ['agency_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('occurred_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_agency_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('object_type', sa.String(length=60), nullable=True),
    sa.Column('object_id', sa.String(length=60), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('handling', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_agency_id'], ['agency.id'], name=op.f('fk_audit_event_actor_agency_id_agency')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_event_seq'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('lro', 'analyst', 'gain_coordinator', 'supervisor', 'partner_spoc', 'partner_user', 'admin', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('clearance', sa.Enum('BPSS', 'SC', 'DV', name='clearance', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_invitation_agency_id_agency')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_invitation_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_invitation_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_email'), ['email'], unique=False)

    op.create_table('operation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owning_agency_id', sa.Integer(), nullable=False),
    sa.Column('lro_id', sa.Integer(), nullable=True),
    sa.Column('classification', sa.Enum('OFFICIAL', 'OFFICIAL-SENSITIVE', 'SECRET', 'TOP SECRET', name='classification', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lro_id'], ['user_account.id'], name=op.f('fk_operation_lro_id_user_account')),
    sa.ForeignKeyConstraint(['owning_agency_id'], ['agency.id'], name=op.f('fk_operation_owning_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operation')),
    sa.UniqueConstraint('reference', name=op.f('uq_operation_reference'))
    )
    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operation_lro_id'), ['lro_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_operation_owning_agency_id'), ['owning_agency_id'], unique=False)

    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('used_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recovery_code_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', gainportal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('revoked_at', gainportal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('sid_hash', name=op.f('uq_user_session_sid_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    # The audit trail is append-only in the database itself, not only in application code.
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))

    op.drop_table('recovery_code')
    with op.batch_alter_table('operation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operation_owning_agency_id'))
        batch_op.drop_index(batch_op.f('ix_operation_lro_id'))

    op.drop_table('operation')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_email'))

    op.drop_table('invitation')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_agency_id'))

    op.drop_table('user_account')
    op.drop_table('agency')
