"""leads, evidence and events

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:18:11.881974
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('triggers', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('stage_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('flagged_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('permalink', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('estimated_value', sa.Float(), nullable=True),
    sa.Column('client_fit', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('service_applicability', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('internal_capability', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('competitive_position', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_account'), ['account'], unique=False)
        batch_op.create_index('ix_lead_account_stage', ['account', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_flagged_by'), ['flagged_by'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('flagged_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('permalink', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_flagged_by'), ['flagged_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_lead_id'), ['lead_id'], unique=False)

    op.create_table('lead_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('from_value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('to_value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('undone', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lead_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_event_lead_id'), ['lead_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lead_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_event_lead_id'))

    op.drop_table('lead_event')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_lead_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_flagged_by'))

    op.drop_table('evidence')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_flagged_by'))
        batch_op.drop_index('ix_lead_account_stage')
        batch_op.drop_index(batch_op.f('ix_lead_account'))

    op.drop_table('lead')
