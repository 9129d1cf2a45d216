"""inbox of acknowledged platform events not yet processed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox_event',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_event_claimed', ['claimed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_event_claimed')
    op.drop_table('inbox_event')
