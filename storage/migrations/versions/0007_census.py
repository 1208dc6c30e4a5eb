"""census: accounts' census schedule, contacts' external ids and tickets, tickets, census links and fan-out runs

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
# Issue 13 was given down_revision 0002; this branch already carries 0003 (the inbox), so it
# chains there. The lead re-chains when merging.
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("census_schedule", sa.String(length=20), nullable=True))

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("telegram_username", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("telegram_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tickets", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_ticket_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_contacts_account_external", ["account_id", "external_id"], unique=False
        )
        batch_op.create_index("ix_contacts_account_email", ["account_id", "email"], unique=False)
        batch_op.create_index(
            "ix_contacts_account_tg_username", ["account_id", "telegram_username"], unique=False
        )

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_tickets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_tickets_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint(
            "account_id", "ticket_id", name=op.f("uq_tickets_account_id_ticket_id")
        ),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "census_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_census_links_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_census_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_census_links_token_hash")),
    )
    with op.batch_alter_table("census_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_census_links_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "census_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starter_channel", sa.String(length=20), nullable=True),
        sa.Column("starter_address", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_census_runs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_census_runs_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_census_runs")),
        sa.UniqueConstraint("round_id", name=op.f("uq_census_runs_round_id")),
    )
    with op.batch_alter_table("census_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_census_runs_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("census_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_census_runs_account_id"))
    op.drop_table("census_runs")
    with op.batch_alter_table("census_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_census_links_account_id"))
    op.drop_table("census_links")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_contact_id"))
    op.drop_table("tickets")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_account_tg_username")
        batch_op.drop_index("ix_contacts_account_email")
        batch_op.drop_index("ix_contacts_account_external")
        batch_op.drop_column("last_ticket_at")
        batch_op.drop_column("tickets")
        batch_op.drop_column("telegram_id")
        batch_op.drop_column("telegram_username")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("census_schedule")
