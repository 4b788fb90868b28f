"""campaign runs: the pace clock of a paced run (CAMPAIGN_SEND_RATE)

Revision ID: 0018_campaign_pace
Revises: 0017a_audit_rounds
Create Date: 2026-12-06 11:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_campaign_pace'
down_revision = '0017a_audit_rounds'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('campaign_run', sa.Column('pace_clock', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaign_run') as batch:
        batch.drop_column('pace_clock')
