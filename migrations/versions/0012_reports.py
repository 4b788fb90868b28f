"""street reports: categories, reports, photos, followers, public updates, private messages, Open311 keys

Revision ID: 0012_reports
Revises: 0011b_observatory_population
Create Date: 2026-12-05 14:13:17.983621
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0012_reports'
down_revision = '0011b_observatory_population'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open311_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    with op.batch_alter_table('open311_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_key_territory_id'), ['territory_id'], unique=False)

    op.create_table('report_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('service_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('service_actor_id', sa.Integer(), nullable=True),
    sa.Column('expected_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_actor_id'], ['actor.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('territory_id', 'service_code')
    )
    with op.batch_alter_table('report_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_category_territory_id'), ['territory_id'], unique=False)

    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('not_ours_service', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expected_by', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['report_category.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['report.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhood.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('territory_id', 'idempotency_key')
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_area', ['territory_id', 'lat', 'lon'], unique=False)
        batch_op.create_index('ix_report_category', ['category_id', 'status', 'lat', 'lon'], unique=False)
        batch_op.create_index('ix_report_queue', ['territory_id', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_reporter_id'), ['reporter_id'], unique=False)

    op.create_table('report_follower',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'user_id')
    )
    with op.batch_alter_table('report_follower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_follower_user_id'), ['user_id'], unique=False)

    op.create_table('report_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('from_service', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.models_common.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_message', schema=None) as batch_op:
        batch_op.create_index('ix_report_message_report', ['report_id', 'created_at'], unique=False)

    op.create_table('report_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_photo_report_id'), ['report_id'], unique=False)

    op.create_table('report_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=10), nullable=False),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_update', schema=None) as batch_op:
        batch_op.create_index('ix_report_update_report', ['report_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_update', schema=None) as batch_op:
        batch_op.drop_index('ix_report_update_report')

    op.drop_table('report_update')
    with op.batch_alter_table('report_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_photo_report_id'))

    op.drop_table('report_photo')
    with op.batch_alter_table('report_message', schema=None) as batch_op:
        batch_op.drop_index('ix_report_message_report')

    op.drop_table('report_message')
    with op.batch_alter_table('report_follower', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_follower_user_id'))

    op.drop_table('report_follower')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_reporter_id'))
        batch_op.drop_index('ix_report_queue')
        batch_op.drop_index('ix_report_category')
        batch_op.drop_index('ix_report_area')

    op.drop_table('report')
    with op.batch_alter_table('report_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_category_territory_id'))

    op.drop_table('report_category')
    with op.batch_alter_table('open311_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_key_territory_id'))

    op.drop_table('open311_key')
