"""teams conversation references; where each evidence message is; a covering index for the portfolio

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 05:39:17.989595
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_ref',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('reference', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index('ix_evidence_message', ['channel', 'message_ts'], unique=False)
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_account_stage')
        batch_op.create_index('ix_lead_account_stage_value', ['account', 'stage', 'estimated_value'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_account_stage_value')
        batch_op.create_index('ix_lead_account_stage', ['account', 'stage'], unique=False)
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_message')
        batch_op.drop_column('message_ts')
        batch_op.drop_column('channel')
    op.drop_table('conversation_ref')
