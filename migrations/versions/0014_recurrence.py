"""publications: recurrence (RRULE, EXDATE, changed occurrences), iCalendar UID and SEQUENCE, cancellation

Revision ID: 0014_recurrence
Revises: 0013c_report_address
Create Date: 2026-12-05 16:25:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common


revision = '0014_recurrence'
down_revision = '0013c_report_address'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rrule', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('exdates_json', sa.Text(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('recurrence_parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recurrence_id', app.models_common.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ical_uid', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', app.models_common.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_publication_recurrence_parent_id'), ['recurrence_parent_id'], unique=False)
        batch_op.create_foreign_key('fk_publication_recurrence_parent', 'publication', ['recurrence_parent_id'], ['id'],
                                    ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_constraint('fk_publication_recurrence_parent', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_publication_recurrence_parent_id'))
        for column in ('cancelled_at', 'sequence', 'ical_uid', 'recurrence_id', 'recurrence_parent_id',
                       'exdates_json', 'rrule'):
            batch_op.drop_column(column)
