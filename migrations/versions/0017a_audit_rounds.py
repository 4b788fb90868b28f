"""audit: the town's journey steps, audit rounds, their scores and attachments, invitations,
the comparison opt-in and the action plan

Revision ID: 0017a_audit_rounds
Revises: 0017b_audit_inventory
Create Date: 2026-12-05 17:00:00
"""
import sqlalchemy as sa
from alembic import op

from app.models_common import UTCDateTime

revision = '0017a_audit_rounds'
down_revision = '0017b_audit_inventory'
branch_labels = None
depends_on = None


def _territory() -> sa.Column:
    return sa.Column('territory_id', sa.Integer(), sa.ForeignKey('territory.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.create_table(
        'audit_step',
        sa.Column('id', sa.Integer(), primary_key=True),
        _territory(),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Boolean(), server_default='0', nullable=False),
        sa.UniqueConstraint('territory_id', 'code'),
    )
    op.create_index('ix_audit_step_territory_id', 'audit_step', ['territory_id'])
    op.create_table(
        'audit_settings',
        sa.Column('territory_id', sa.Integer(), sa.ForeignKey('territory.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('compare_opt_in', sa.Boolean(), server_default='0', nullable=False),
    )
    op.create_table(
        'audit_round',
        sa.Column('id', sa.Integer(), primary_key=True),
        _territory(),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('step_ids', sa.Text(), nullable=False),
        sa.Column('completed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_audit_round_territory_status', 'audit_round', ['territory_id', 'status'])
    op.create_table(
        'audit_score',
        sa.Column('id', sa.Integer(), primary_key=True),
        _territory(),
        sa.Column('round_id', sa.Integer(), sa.ForeignKey('audit_round.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('audit_step.id', ondelete='CASCADE'), nullable=False),
        sa.Column('angle', sa.String(length=20), nullable=False),
        sa.Column('maturity', sa.Integer(), nullable=True),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('round_id', 'step_id', 'angle'),
    )
    op.create_index('ix_audit_score_territory_id', 'audit_score', ['territory_id'])
    op.create_table(
        'audit_attachment',
        sa.Column('id', sa.Integer(), primary_key=True),
        _territory(),
        sa.Column('round_id', sa.Integer(), sa.ForeignKey('audit_round.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('audit_step.id', ondelete='CASCADE'), nullable=False),
        sa.Column('filename', sa.String(length=120), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_audit_attachment_territory_id', 'audit_attachment', ['territory_id'])
    op.create_index('ix_audit_attachment_round_id', 'audit_attachment', ['round_id'])
    op.create_table(
        'audit_invitation',
        sa.Column('id', sa.Integer(), primary_key=True),
        _territory(),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id', ondelete='CASCADE'), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('territory_id', 'user_id'),
    )
    op.create_table(
        'audit_action',
        sa.Column('id', sa.Integer(), primary_key=True),
        _territory(),
        sa.Column('round_id', sa.Integer(), sa.ForeignKey('audit_round.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('audit_step.id', ondelete='CASCADE'), nullable=False),
        sa.Column('angle', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=160), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=120), nullable=False),
        sa.Column('budget_eur', sa.Numeric(12, 2), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('indicator', sa.String(length=30), nullable=False),
        sa.Column('baseline', sa.Numeric(12, 2), nullable=True),
        sa.Column('baseline_text', sa.String(length=60), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_audit_action_territory_id', 'audit_action', ['territory_id'])
    op.create_index('ix_audit_action_round_id', 'audit_action', ['round_id'])


def downgrade() -> None:
    for table in ('audit_action', 'audit_invitation', 'audit_attachment', 'audit_score', 'audit_round',
                  'audit_settings', 'audit_step'):
        op.drop_table(table)
