"""street reports placed by an address alone: a report's point may be missing

Revision ID: 0013c_report_address
Revises: 0013b_rep_notify
Create Date: 2026-12-05 16:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0013c_report_address'
down_revision = '0013b_rep_notify'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.alter_column('lat', existing_type=sa.Float(), nullable=True)
        batch_op.alter_column('lon', existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    # A report without a point cannot go back: it gets its town's centre, as before this revision.
    op.execute(
        "UPDATE report SET lat = (SELECT center_lat FROM territory WHERE territory.id = report.territory_id),"
        " lon = (SELECT center_lon FROM territory WHERE territory.id = report.territory_id)"
        " WHERE lat IS NULL OR lon IS NULL"
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.alter_column('lon', existing_type=sa.Float(), nullable=False)
        batch_op.alter_column('lat', existing_type=sa.Float(), nullable=False)
