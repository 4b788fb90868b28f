"""audit: the merchants' self-assessment (one current answer per shop, the town's sight by consent)

Revision ID: 0017c_audit_shops
Revises: 0016_commerce_base
Create Date: 2026-12-05 17:00:00
"""
import sqlalchemy as sa
from alembic import op

from app.models_common import UTCDateTime

revision = '0017c_audit_shops'
down_revision = '0016_commerce_base'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'shop_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('territory_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('listed_online', sa.String(length=80), nullable=False),
        sa.Column('hours_up_to_date', sa.String(length=20), nullable=False),
        sa.Column('click_and_collect', sa.String(length=20), nullable=False),
        sa.Column('delivery', sa.String(length=20), nullable=False),
        sa.Column('payment', sa.String(length=120), nullable=False),
        sa.Column('loyalty', sa.String(length=20), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('town_may_see', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('answered_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('actor_id'),
    )
    op.create_index('ix_shop_answer_territory_id', 'shop_answer', ['territory_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shop_answer_territory_id', table_name='shop_answer')
    op.drop_table('shop_answer')
