"""rate limits counted in the app's database (territorydb://), shared by every process

Revision ID: 0004_limits
Revises: 0003_actors
Create Date: 2026-12-05 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_limits'
down_revision = '0003_actors'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limit_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.Double(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rate_limit_hit', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_hit_expires_at', ['expires_at'], unique=False)
        batch_op.create_index('ix_rate_limit_hit_key_expires_at', ['key', 'expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_hit', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_hit_key_expires_at')
        batch_op.drop_index('ix_rate_limit_hit_expires_at')
    op.drop_table('rate_limit_hit')
