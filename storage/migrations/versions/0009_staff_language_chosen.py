"""staff.language_chosen: false while a staff member's language is the one whoever added them
chose; it then follows the language their platform says they use

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # True for everyone already on the staff: their language stays exactly as it is.
    with op.batch_alter_table("staff") as batch:
        batch.add_column(
            sa.Column("language_chosen", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("language_chosen")
