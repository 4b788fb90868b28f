"""actors: click-and-collect and delivery declared by a shop (the commerce audit's base)

Revision ID: 0016_commerce_base
Revises: 0015c_api_open_now
Create Date: 2026-12-05 16:55:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0016_commerce_base'
down_revision = '0015c_api_open_now'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('actor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('click_and_collect', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('click_and_collect_note', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('delivers', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('delivery_note', sa.String(length=200), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('actor', schema=None) as batch_op:
        for column in ('delivery_note', 'delivers', 'click_and_collect_note', 'click_and_collect'):
            batch_op.drop_column(column)
