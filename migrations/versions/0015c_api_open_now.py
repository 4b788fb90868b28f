"""actors: exceptions to opening hours; embed: the sites a territory lets frame its widgets

Revision ID: 0015c_api_open_now
Revises: 0015d_feeds_in
Create Date: 2026-12-05 16:30:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0015c_api_open_now'
down_revision = '0015d_feeds_in'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'actor_hours_exception',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('territory_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('closed', sa.Boolean(), nullable=False),
        sa.Column('hours_json', sa.Text(), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('actor_hours_exception', schema=None) as batch_op:
        batch_op.create_index('ix_actor_hours_exception_actor_dates', ['actor_id', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_actor_hours_exception_territory_id'), ['territory_id'], unique=False)
    op.create_table(
        'embed_setting',
        sa.Column('territory_id', sa.Integer(), nullable=False),
        sa.Column('origins', sa.Text(), server_default='', nullable=False),
        sa.Column('updated_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('territory_id'),
    )


def downgrade() -> None:
    op.drop_table('embed_setting')
    with op.batch_alter_table('actor_hours_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actor_hours_exception_territory_id'))
        batch_op.drop_index('ix_actor_hours_exception_actor_dates')
    op.drop_table('actor_hours_exception')
