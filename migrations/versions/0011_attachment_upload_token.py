"""attachment.upload_token: the upload form's one-time token, unique per response and
question, so the same form sent twice (a double click, a browser resend) attaches its
file once

Revision ID: 0011_attachment_upload_token
Revises: 0010_response_matched_at
Create Date: 2026-11-22 22:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011_attachment_upload_token'
down_revision = '0010_response_matched_at'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Files already stored keep a NULL token: NULLs never collide, so they stay as they are.
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_attachment_response_id'),
                                          ['response_id', 'question_id', 'upload_token'])


def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attachment_response_id'), type_='unique')
        batch_op.drop_column('upload_token')
