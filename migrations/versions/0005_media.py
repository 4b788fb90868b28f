"""media: each media is named in URLs by a random token, not by its sequential id

Revision ID: 0005_media
Revises: 0003_actors
Create Date: 2026-12-05 08:20:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0005_media'
down_revision = '0004_limits'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=32), nullable=True))
    media = sa.table('media', sa.column('id', sa.Integer), sa.column('token', sa.String))
    connection = op.get_bind()
    for (media_id,) in connection.execute(sa.select(media.c.id)).all():
        connection.execute(
            media.update().where(media.c.id == media_id).values(token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f('ix_media_token'), ['token'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_token'))
        batch_op.drop_column('token')
