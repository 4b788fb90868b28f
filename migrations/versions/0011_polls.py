"""polls: questions, who answered, the answers as counts, sealed sheets

Revision ID: 0011_polls
Revises: 0010_footfall
Create Date: 2026-12-05 13:01:21.955202
"""
import sqlalchemy as sa
from alembic import op


revision = '0011_polls'
down_revision = '0010_footfall'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('poll_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('help_text', sa.String(length=300), server_default='', nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('scale_max', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('poll_question', schema=None) as batch_op:
        batch_op.create_index('ix_poll_question_poll', ['publication_id', 'position'], unique=False)

    op.create_table('poll_respondent',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'user_id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('poll_respondent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_respondent_user_id'), ['user_id'], unique=False)

    op.create_table('poll_sheet',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_hash'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('poll_sheet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_sheet_publication_id'), ['publication_id'], unique=False)

    op.create_table('poll_tally',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=16), nullable=False),
    sa.Column('grp', sa.String(length=40), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'question_id', 'option_id', 'value', 'dim', 'grp', 'counted'),
    sqlite_with_rowid=False
    )
    op.create_table('poll_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=160), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['poll_question.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_option_question_id'), ['question_id'], unique=False)

    op.create_table('poll_text',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['poll_question.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('poll_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_text_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index('ix_poll_text_question', ['question_id'], unique=False)

    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.add_column(sa.Column('poll_results', sa.String(length=10), server_default='live', nullable=False))
        batch_op.add_column(sa.Column('survey_url', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('survey_embed', sa.Boolean(), server_default='0', nullable=False))

    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_hosts', sa.Text(), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.drop_column('survey_hosts')

    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_column('survey_embed')
        batch_op.drop_column('survey_url')
        batch_op.drop_column('poll_results')

    with op.batch_alter_table('poll_text', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_text_question')
        batch_op.drop_index(batch_op.f('ix_poll_text_publication_id'))

    op.drop_table('poll_text')
    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_option_question_id'))

    op.drop_table('poll_option')
    op.drop_table('poll_tally')
    with op.batch_alter_table('poll_sheet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_sheet_publication_id'))

    op.drop_table('poll_sheet')
    with op.batch_alter_table('poll_respondent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_respondent_user_id'))

    op.drop_table('poll_respondent')
    with op.batch_alter_table('poll_question', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_question_poll')

    op.drop_table('poll_question')
