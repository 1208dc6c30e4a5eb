"""Contacts joining, leaving and choosing a language: one-time invites, opt-out, /lang.

A bot cannot write first to a Telegram user who never started it, so a manager creates an
invite and sends the contact a link; opening it binds the chat to the contact.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from surveys.alerts import staff_notice
from surveys.model import (
    Address,
    ContactStatus,
    ConversationStatus,
    Invite,
    Language,
    Staff,
    StaffRole,
)
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.texts import t

INVITE_TTL = timedelta(days=14)


class RedeemStatus(StrEnum):
    BOUND = "bound"
    ALREADY_BOUND = "already_bound"  # the same chat opened its own link again
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    CHAT_TAKEN = "chat_taken"  # this chat belongs to another contact


@dataclass(frozen=True, slots=True)
class RedeemResult:
    status: RedeemStatus
    language: Language
    text: str


def new_token() -> str:
    """192 random bits, URL-safe: fits Telegram's 64-character /start parameter."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    # Only the hash is stored, so a database leak yields no usable links.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Onboarding:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        company: str,
        default_language: Language,
        invite_ttl: timedelta = INVITE_TTL,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.company = company
        self.default_language = default_language
        self.invite_ttl = invite_ttl

    async def create_invite(self, uow: UnitOfWork, contact_id: int, by: Staff | None) -> str:
        """A fresh token for the contact (inside the caller's transaction)."""
        token = new_token()
        now = self.clock.now()
        await uow.invites.add(
            Invite(
                id=0,
                token_hash=token_hash(token),
                contact_id=contact_id,
                created_at=now,
                expires_at=now + self.invite_ttl,
                created_by=by.id if by else None,
            )
        )
        return token

    async def redeem(self, token: str, chat: Address, hint: Language | None) -> RedeemResult:
        """Bind ``chat`` to the invite's contact, once, before the invite expires."""
        lang = hint or self.default_language
        now = self.clock.now()
        async with self.uow() as uow:
            invite = await uow.invites.by_hash(token_hash(token)) if token else None
            if invite is None:
                return RedeemResult(RedeemStatus.UNKNOWN, lang, t("invite_unknown", lang))
            contact = await uow.contacts.get(invite.contact_id)
            if contact is None:
                return RedeemResult(RedeemStatus.UNKNOWN, lang, t("invite_unknown", lang))
            lang = contact.language
            if contact.reachable_at == chat and invite.used_at is not None:
                # Reopening one's own link is a /start from a known chat: like come_back, it
                # opts back in, so "welcome back, you will receive surveys again" holds.
                if contact.status not in (ContactStatus.OPTED_OUT, ContactStatus.UNREACHABLE):
                    return RedeemResult(RedeemStatus.ALREADY_BOUND, lang, t("already_active", lang))
                await uow.contacts.set_status(contact.id, ContactStatus.ACTIVE)
                await uow.commit()
                return RedeemResult(RedeemStatus.ALREADY_BOUND, lang, t("welcome_back", lang))
            if invite.used_at is not None:
                return RedeemResult(RedeemStatus.USED, lang, t("invite_used", lang))
            if invite.expires_at <= now:
                return RedeemResult(RedeemStatus.EXPIRED, lang, t("invite_expired", lang))
            holder = await uow.contacts.by_address(chat)
            if holder is not None and holder.id != contact.id:
                return RedeemResult(RedeemStatus.CHAT_TAKEN, lang, t("chat_taken", lang))
            if not await uow.invites.use(invite.id, now):  # lost a race with another chat
                return RedeemResult(RedeemStatus.USED, lang, t("invite_used", lang))
            await uow.contacts.update(
                replace(
                    contact,
                    channel=chat.channel,
                    address=chat.address,
                    status=ContactStatus.ACTIVE,
                )
            )
            await uow.commit()
        text = t("welcome", lang, name=contact.name, company=self.company)
        return RedeemResult(RedeemStatus.BOUND, lang, text)

    async def opt_out(self, chat: Address) -> str | None:
        """Stop surveying this contact; their open conversations close; the owner is told.

        Returns the reply for the contact, or None when the chat is no contact's.
        """
        now = self.clock.now()
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(chat)
            if contact is None:
                return None
            if contact.status is not ContactStatus.OPTED_OUT:
                await uow.contacts.set_status(contact.id, ContactStatus.OPTED_OUT)
                for conv in await uow.conversations.open_for_contact(contact.id):
                    await uow.conversations.save(
                        replace(conv, status=ConversationStatus.DECLINED, finished_at=now)
                    )
                account = await uow.accounts.get(contact.account_id)
                owner = (
                    await uow.staff.get(account.owner_id) if account and account.owner_id else None
                )
                for person in [owner] if owner else await _admins(uow):
                    text = t(
                        "opt_out_notice",
                        person.language,
                        contact=contact.name,
                        account=account.name if account else "?",
                    )
                    key = f"optout:{contact.id}:{now.isoformat()}:{person.id}"
                    if notice := staff_notice(person, text, key, now):
                        await uow.outbox.enqueue(notice)
            await uow.commit()
        return t("opted_out", contact.language)

    async def come_back(self, chat: Address) -> str | None:
        """/start without a token from a known chat: opt back in if they had opted out."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(chat)
            if contact is None:
                return None
            if contact.status not in (ContactStatus.OPTED_OUT, ContactStatus.UNREACHABLE):
                # They never left: there is nothing to come back from.
                return t("already_active", contact.language)
            await uow.contacts.set_status(contact.id, ContactStatus.ACTIVE)
            await uow.commit()
        return t("welcome_back", contact.language)

    async def set_language(self, chat: Address, lang: Language) -> str | None:
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(chat)
            if contact is None:
                staff = await uow.staff.by_address(chat)
                if staff is None:
                    return None
                await uow.staff.update(replace(staff, language=lang))
            else:
                await uow.contacts.update(replace(contact, language=lang))
                # The conversation under way switches too: its next question comes in ``lang``.
                for conv in await uow.conversations.open_for_contact(contact.id):
                    await uow.conversations.save(replace(conv, language=lang))
            await uow.commit()
        return t("language_set", lang)


async def _admins(uow: UnitOfWork) -> list[Staff]:
    return [s for s in await uow.staff.list() if s.role in (StaffRole.ADMIN, StaffRole.MANAGER)]
