"""imports: feed subscriptions (iCalendar, OpenAgenda, RSS/Atom) and the entries they imported

Revision ID: 0015d_feeds_in
Revises: 0015e_webhooks
Create Date: 2026-12-05 16:30:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0015d_feeds_in'
down_revision = '0015e_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('hashtags', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('etag', sa.String(length=255), nullable=False),
    sa.Column('last_modified', sa.String(length=64), nullable=False),
    sa.Column('last_fetched_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_fetch_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error_code', sa.String(length=40), nullable=False),
    sa.Column('last_error_detail', sa.String(length=300), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_created', sa.Integer(), nullable=False),
    sa.Column('last_updated', sa.Integer(), nullable=False),
    sa.Column('last_withdrawn', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feed_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_subscription_territory_id'), ['territory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_subscription_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_feed_subscription_due', ['active', 'next_fetch_at'], unique=False)

    op.create_table('feed_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('source_uid', sa.String(length=255), nullable=False),
    sa.Column('recurrence_id', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('source_sequence', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('seen_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['feed_subscription.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feed_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_item_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index('ix_feed_item_source', ['subscription_id', 'source_uid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feed_item', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_item_source')
        batch_op.drop_index(batch_op.f('ix_feed_item_publication_id'))
    op.drop_table('feed_item')
    with op.batch_alter_table('feed_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_subscription_due')
        batch_op.drop_index(batch_op.f('ix_feed_subscription_actor_id'))
        batch_op.drop_index(batch_op.f('ix_feed_subscription_territory_id'))
    op.drop_table('feed_subscription')
