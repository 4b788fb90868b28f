"""observatory of needs: the parts a town publishes for everyone (territory.observatory_public);
footfall by population type needs no column (zones "p-<type>" of footfall_hour)

Revision ID: 0011b_observatory_population
Revises: 0011_polls
Create Date: 2026-12-05 13:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011b_observatory_population'
down_revision = '0011_polls'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('territory', sa.Column('observatory_public', sa.String(length=40), server_default='',
                                         nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('territory') as batch:
        batch.drop_column('observatory_public')
