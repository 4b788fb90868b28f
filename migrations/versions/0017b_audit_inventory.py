"""audit: the town's data inventory (its data sources and the journey steps they inform)

Revision ID: 0017b_audit_inventory
Revises: 0017c_audit_shops
Create Date: 2026-12-05 16:50:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0017b_audit_inventory'
down_revision = '0017c_audit_shops'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_data_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owner', sa.String(length=120), server_default='', nullable=False),
    sa.Column('measures', sa.String(length=500), server_default='', nullable=False),
    sa.Column('format', sa.String(length=20), server_default='other', nullable=False),
    sa.Column('freshness', sa.String(length=20), server_default='one_off', nullable=False),
    sa.Column('last_updated', sa.Date(), nullable=True),
    sa.Column('legal_basis', sa.String(length=20), server_default='none', nullable=False),
    sa.Column('legal_note', sa.String(length=300), server_default='', nullable=False),
    sa.Column('personal_data', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('open_data', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('open_data_url', sa.String(length=500), server_default='', nullable=False),
    sa.Column('steps_text', sa.String(length=300), server_default='', nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_data_source', schema=None) as batch_op:
        batch_op.create_index('ix_audit_data_source_territory', ['territory_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_data_source', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_data_source_territory')
    op.drop_table('audit_data_source')
