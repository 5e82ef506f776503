"""match_candidate.response_id and request_id: the answer's response and request, copied
onto the candidate so the cross-match queue's visibility rule goes from the requests a
person may see straight to their candidates

Revision ID: 0013_candidate_request
Revises: 0012_visibility_indexes
Create Date: 2026-11-23 03:10:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0013_candidate_request'
down_revision = '0012_visibility_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('match_candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
    # Correlated subqueries: the one UPDATE form both SQLite and PostgreSQL accept.
    op.execute("UPDATE match_candidate SET response_id = "
               "(SELECT answer.response_id FROM answer WHERE answer.id = match_candidate.answer_id)")
    op.execute("UPDATE match_candidate SET request_id = "
               "(SELECT partner_response.request_id FROM partner_response "
               "WHERE partner_response.id = match_candidate.response_id)")
    with op.batch_alter_table('match_candidate', schema=None) as batch_op:
        batch_op.alter_column('response_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_match_candidate_response_id_partner_response'),
                                    'partner_response', ['response_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_match_candidate_request_id_information_request'),
                                    'information_request', ['request_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_match_candidate_response_id'), ['response_id'], unique=False)
        batch_op.create_index('ix_match_candidate_request_id_status', ['request_id', 'status'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # The queue's plan depends on the new column's statistics: gather them now rather than
        # leave the first pages after the deploy to autovacuum's timing (or to none, where it
        # is off).
        op.execute("ANALYZE match_candidate")


def downgrade() -> None:
    with op.batch_alter_table('match_candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_match_candidate_request_id_status')
        batch_op.drop_index(batch_op.f('ix_match_candidate_response_id'))
        batch_op.drop_constraint(batch_op.f('fk_match_candidate_request_id_information_request'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_match_candidate_response_id_partner_response'),
                                 type_='foreignkey')
        batch_op.drop_column('request_id')
        batch_op.drop_column('response_id')
