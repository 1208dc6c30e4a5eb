"""reports and weekly digest: staff time zone and digest flag, outbox file attachments

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("digest", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attachment")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("digest")
        batch.drop_column("timezone")
