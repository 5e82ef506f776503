"""information_request(operation_id) carries the marking and id on PostgreSQL, so the
rule "requests of the operations a person may see, within their clearance" is answered
from the index without a heap page per request (the cross-match queue walks ~2,000)

Revision ID: 0016_request_operation_cover
Revises: 0015_decision_marking
Create Date: 2026-11-23 06:40:00
"""
from alembic import op


revision = '0016_request_operation_cover'
down_revision = '0015_decision_marking'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE: the index stays the plain one the models describe there
    op.drop_index('ix_information_request_operation_id', table_name='information_request')
    op.create_index('ix_information_request_operation_id', 'information_request', ['operation_id'],
                    unique=False, postgresql_include=['classification', 'id'])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_information_request_operation_id', table_name='information_request')
    op.create_index('ix_information_request_operation_id', 'information_request', ['operation_id'], unique=False)
