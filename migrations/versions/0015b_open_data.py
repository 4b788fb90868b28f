"""open data: the town's choice of published datasets, their licence and the catalogue's contact

Revision ID: 0015b_open_data
Revises: 0015a_agenda_out
Create Date: 2026-12-05 16:10:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0015b_open_data'
down_revision = '0015a_agenda_out'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open_data_catalogue',
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('published', sa.String(length=200), server_default='', nullable=False),
    sa.Column('licence', sa.String(length=20), server_default='etalab-2.0', nullable=False),
    sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('created_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('territory_id')
    )


def downgrade() -> None:
    op.drop_table('open_data_catalogue')
