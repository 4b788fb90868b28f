"""footfall: how many people were present by neighbourhood and local hour, as sums of snapshots
of the live cells (app.places.footfall); aggregates only

Revision ID: 0010_footfall
Revises: 0009_population_types
Create Date: 2026-12-05 12:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_footfall'
down_revision = '0009_population_types'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('footfall_hour',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('zone', sa.String(length=20), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('hour', sa.SmallInteger(), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('presence_sum', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhood.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('territory_id', 'zone', 'local_date', 'hour', name='uq_footfall_hour')
    )


def downgrade() -> None:
    op.drop_table('footfall_hour')
