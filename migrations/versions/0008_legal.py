"""legal pages per territory (terms, privacy notice, legal notice, accessibility statement), a
town's own text per language with the page's version; the version of the terms a person accepted

Revision ID: 0008_legal
Revises: 0007_inbox
Create Date: 2026-12-05 10:45:00
"""
import sqlalchemy as sa
from alembic import op

import app.models_common

revision = '0008_legal'
down_revision = '0007_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('legal_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models_common.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('territory_id', 'kind', 'language', name='uq_legal_text')
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_column('version')
    op.drop_table('legal_text')
