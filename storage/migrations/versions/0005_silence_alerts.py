"""alerts without an answer: silence alerts (kind, contact, the streak they stand for)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("answer_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="answer")
        )
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("streak_key", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            "fk_alerts_contact_id_contacts", "contacts", ["contact_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch_op.create_unique_constraint("uq_alerts_streak_key", ["streak_key"])


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alerts_streak_key", type_="unique")
        batch_op.drop_constraint("fk_alerts_contact_id_contacts", type_="foreignkey")
        batch_op.drop_column("streak_key")
        batch_op.drop_column("contact_id")
        batch_op.drop_column("kind")
        batch_op.alter_column("answer_id", existing_type=sa.Integer(), nullable=False)
