"""a digest's entries, each with its actor (shown with a way to mute it)

Revision ID: 0007_inbox
Revises: 0006_unsubscribe
Create Date: 2026-12-05 09:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_inbox'
down_revision = '0006_unsubscribe'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entries_json', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.drop_column('entries_json')
