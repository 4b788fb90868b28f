"""actors: a verified actor's new name or kind waits for the town

Revision ID: 0003_actors
Revises: 0002
Create Date: 2026-12-05 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_actors'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('actor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('pending_kind', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('actor', schema=None) as batch_op:
        batch_op.drop_column('pending_kind')
        batch_op.drop_column('pending_name')
