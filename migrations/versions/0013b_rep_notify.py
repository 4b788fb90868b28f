"""street reports: the report each personal message of the delivery engine is about

Revision ID: 0013b_rep_notify
Revises: 0012_reports
Create Date: 2026-12-05 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013b_rep_notify'
down_revision = '0012_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_notice',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    with op.batch_alter_table('report_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_notice_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_notice_report_id'))

    op.drop_table('report_notice')
