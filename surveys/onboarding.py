"""Contacts joining, leaving and choosing a language: one-time invites, opt-out, /lang.

Staff choose theirs with the same /lang; until they do, a staff member speaks the language
their platform says they use (someone else added them, in that person's language).

A bot cannot write first to a Telegram user who never started it, so a manager creates an
invite and sends the contact a link; opening it binds the chat to the contact. A contact who
becomes reachable (binds, or comes back) while their account's round is open joins it at
once, in the same transaction (surveys.joining).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from surveys.alerts import staff_notice
from surveys.joining import join_open_round, round_to_join
from surveys.model import (
    Address,
    Contact,
    ContactStatus,
    ConversationStatus,
    Invite,
    Language,
    Staff,
    StaffRole,
)
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.service import SurveyService
from surveys.texts import t

INVITE_TTL = timedelta(days=14)
# The language command typed as a message, without its slash ("lang ru", "Язык EN"): only
# when that is the whole message, so an answer that merely mentions a language stays one.
_TYPED_LANGUAGE = re.compile(r"(?i)\s*(?:lang|язык)\s+(ru|en)\s*")


def typed_language(text: str) -> Language | None:
    """The language a message asks to switch to when it is nothing but the /lang command
    written without the slash; None for anything else (an answer)."""
    match = _TYPED_LANGUAGE.fullmatch(text)
    return Language(match[1].lower()) if match else None


class RedeemStatus(StrEnum):
    BOUND = "bound"
    ALREADY_BOUND = "already_bound"  # the same chat opened its own link again
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    CHAT_TAKEN = "chat_taken"  # this chat belongs to another contact
    STAFF = "staff"  # staff opened it (often to see what the client will see)


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


async def _already(uow: UnitOfWork, contact: Contact) -> str:
    """The answer to /start from a contact who never left: in the middle of a survey it
    points to its question, else it says a survey will come."""
    open_now = await uow.conversations.open_for_contact(contact.id)
    return t("already_in_round" if open_now else "already_active", contact.language)


class Onboarding:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        company: str,
        default_language: Language,
        invite_ttl: timedelta = INVITE_TTL,
        *,
        service: SurveyService,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.company = company
        self.default_language = default_language
        self.invite_ttl = invite_ttl
        self.service = service  # invites a contact who becomes reachable to the open round

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

    async def redeem(
        self, token: str, chat: Address, hint: Language | None, reply_key: str | None = None
    ) -> RedeemResult:
        """Bind ``chat`` to the invite's contact, once, before the invite expires.

        With ``reply_key`` the answer is recorded in the outbox here (when the contact joins
        an open round: in the same transaction, so ahead of its first question); else the
        caller sends it."""
        result, recorded = await self._redeem(token, chat, hint, reply_key)
        if reply_key and not recorded:
            await self.service.notify(chat, result.text, result.language, reply_key)
        return result

    async def _redeem(
        self, token: str, chat: Address, hint: Language | None, reply_key: str | None
    ) -> tuple[RedeemResult, bool]:
        lang = hint or self.default_language
        now = self.clock.now()
        async with self.uow() as uow:
            invite = await uow.invites.by_hash(token_hash(token)) if token else None
            if invite is None:
                return RedeemResult(RedeemStatus.UNKNOWN, lang, t("invite_unknown", lang)), False
            contact = await uow.contacts.get(invite.contact_id)
            if contact is None:
                return RedeemResult(RedeemStatus.UNKNOWN, lang, t("invite_unknown", lang)), False
            lang = contact.language
            if (staff := await uow.staff.by_address(chat)) is not None:
                # Staff are not surveyed; the link stays unused, for the client it names.
                text = t("invite_staff", staff.language)
                return RedeemResult(RedeemStatus.STAFF, staff.language, text), False
            if contact.reachable_at == chat and invite.used_at is not None:
                # Reopening one's own link is a /start from a known chat: like come_back, it
                # opts back in, so "welcome back, you will receive surveys again" holds.
                if contact.status not in (ContactStatus.OPTED_OUT, ContactStatus.UNREACHABLE):
                    already = await _already(uow, contact)
                    return RedeemResult(RedeemStatus.ALREADY_BOUND, lang, already), False
                await uow.contacts.set_status(contact.id, ContactStatus.ACTIVE)
                text = t("welcome_back", lang)
                active = replace(contact, status=ContactStatus.ACTIVE)
                await self._reachable(uow, active, text, reply_key)
                await uow.commit()
                return RedeemResult(RedeemStatus.ALREADY_BOUND, lang, text), reply_key is not None
            if invite.used_at is not None:
                return RedeemResult(RedeemStatus.USED, lang, t("invite_used", lang)), False
            if invite.expires_at <= now:
                return RedeemResult(RedeemStatus.EXPIRED, lang, t("invite_expired", lang)), False
            holder = await uow.contacts.by_address(chat)
            if holder is not None and holder.id != contact.id:
                return RedeemResult(RedeemStatus.CHAT_TAKEN, lang, t("chat_taken", lang)), False
            if not await uow.invites.use(invite.id, now):  # lost a race with another chat
                return RedeemResult(RedeemStatus.USED, lang, t("invite_used", lang)), False
            bound = replace(
                contact, channel=chat.channel, address=chat.address, status=ContactStatus.ACTIVE
            )
            await uow.contacts.update(bound)
            # A survey coming right under the welcome: it says so, rather than "we will
            # write here when it is time for a survey".
            joins = await round_to_join(self.service, uow, bound) is not None
            key = "welcome_in_round" if joins else "welcome"
            text = t(key, lang, name=contact.name, company=self.company)
            await self._reachable(uow, bound, text, reply_key)
            await uow.commit()
        return RedeemResult(RedeemStatus.BOUND, lang, text), reply_key is not None

    async def _reachable(
        self, uow: UnitOfWork, contact: Contact, text: str, reply_key: str | None
    ) -> None:
        """``contact`` can be asked from now on: their reply first (with ``reply_key``),
        then the open round's invitation, if a round is open for them."""
        assert contact.reachable_at is not None
        if reply_key:
            await self.service.record_notice(
                uow, contact.reachable_at, text, contact.language, reply_key, contact_id=contact.id
            )
        await join_open_round(self.service, uow, contact)

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
                    # The survey is over for them: its question no longer offers buttons.
                    await self.service.retire_buttons(uow, contact, conv)
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

    async def come_back(self, chat: Address, reply_key: str | None = None) -> str | None:
        """/start without a token from a known chat: opt back in if they had opted out.

        With ``reply_key`` the answer is recorded in the outbox here, ahead of the open
        round's first question if they join it; else the caller sends it."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(chat)
            if contact is None:
                return None
            back = contact.status in (ContactStatus.OPTED_OUT, ContactStatus.UNREACHABLE)
            if back:
                await uow.contacts.set_status(contact.id, ContactStatus.ACTIVE)
                text = t("welcome_back", contact.language)
                active = replace(contact, status=ContactStatus.ACTIVE)
                await self._reachable(uow, active, text, reply_key)
                await uow.commit()
            else:  # they never left: there is nothing to come back from
                text = await _already(uow, contact)
        if not back and reply_key:
            await self.service.notify(chat, text, contact.language, reply_key)
        return text

    async def set_language(self, chat: Address, lang: Language) -> str | None:
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(chat)
            if contact is None:
                staff = await uow.staff.by_address(chat)
                if staff is None:
                    return None
                await uow.staff.update(replace(staff, language=lang, language_chosen=True))
            else:
                await uow.contacts.update(replace(contact, language=lang))
                # The conversation under way switches too: its next question comes in ``lang``.
                for conv in await uow.conversations.open_for_contact(contact.id):
                    await uow.conversations.save(replace(conv, language=lang))
            await uow.commit()
        return t("language_set", lang)

    async def follows_platform_language(self, chat: Address) -> bool:
        """Whether ``chat`` is staff who have not chosen a language, so theirs follows the
        one their platform says they use (a platform that must be asked asks only then)."""
        async with self.uow() as uow:
            staff = await uow.staff.by_address(chat)
        return staff is not None and not staff.language_chosen

    async def follow_platform_language(
        self, chat: Address, spoken: Language | None
    ) -> Staff | None:
        """A staff member who has not chosen a language takes the one their platform says
        they use (None: it says none Candor speaks). The changed person, else None."""
        if spoken is None:
            return None
        async with self.uow() as uow:
            staff = await uow.staff.by_address(chat)
            if staff is None or staff.language_chosen or staff.language is spoken:
                return None
            changed = replace(staff, language=spoken)
            await uow.staff.update(changed)
            await uow.commit()
        return changed


async def _admins(uow: UnitOfWork) -> list[Staff]:
    return [s for s in await uow.staff.list() if s.role in (StaffRole.ADMIN, StaffRole.MANAGER)]
