"""unsubscribe links: sealed, expiring, revoked when the person subscribes again or changes
their e-mail address or password

Revision ID: 0006_unsubscribe
Revises: 0003_actors
Create Date: 2026-12-05 08:30:00
"""
from alembic import op
import sqlalchemy as sa
import app.models_common


revision = '0006_unsubscribe'
down_revision = '0005_media'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsubscribe_links_revoked_at', app.models_common.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.drop_column('unsubscribe_links_revoked_at')
