"""webhooks: endpoints, their messages (the delivery log), polls whose closing was announced

Revision ID: 0015e_webhooks
Revises: 0015b_open_data
Create Date: 2026-12-05 16:20:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0015e_webhooks'
down_revision = '0015b_open_data'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook_endpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('territory_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('description', sa.String(length=200), server_default='', nullable=False),
        sa.Column('event_types', sa.String(length=300), server_default='', nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('previous_secret', sa.String(length=100), server_default='', nullable=False),
        sa.Column('previous_secret_until', app.models_common.UTCDateTime(timezone=True), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('disabled_reason', sa.String(length=300), server_default='', nullable=False),
        sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoint_territory_id'), ['territory_id'], unique=False)
    op.create_table(
        'webhook_message',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('event_type', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
        sa.Column('lease_until', app.models_common.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=300), server_default='', nullable=False),
        sa.Column('delivered_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('webhook_message', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_message_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_message_endpoint', ['endpoint_id', 'created_at'], unique=False)
    op.create_table(
        'webhook_poll_closed',
        sa.Column('publication_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('publication_id'),
    )


def downgrade() -> None:
    op.drop_table('webhook_poll_closed')
    with op.batch_alter_table('webhook_message', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_message_endpoint')
        batch_op.drop_index('ix_webhook_message_due')
    op.drop_table('webhook_message')
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoint_territory_id'))
    op.drop_table('webhook_endpoint')
