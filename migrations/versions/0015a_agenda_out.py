"""syndication: the personal calendar feed's secret link (hashed)

Revision ID: 0015a_agenda_out
Revises: 0014_recurrence
Create Date: 2026-12-05 16:20:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0015a_agenda_out'
down_revision = '0014_recurrence'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_feed_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('territory_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
        sa.UniqueConstraint('user_id'),
    )
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_token_territory_id'), ['territory_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_token_territory_id'))
    op.drop_table('calendar_feed_token')
