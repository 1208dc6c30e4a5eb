"""The census starter's one progress message, edited in place as the fan-out proceeds.

The message is recorded in the outbox under a key of its run, so it is sent once, even
across restarts; every later change is an edit naming that key (the outbox resolves it to
the delivered message's id, like alert edits), so a restarted process goes on editing the
same message. Edits are throttled per run to one every ``every`` (a state change — pause,
resume, cancel, done — shows at once) and go through the outbox's rate limits like every
other message; each carries the whole state, so a newer one supersedes those still queued
(``COALESCING_KINDS``). Its buttons (pause / resume / cancel) act on the run the message
shows, as `/census <account> pause|resume|cancel` does on the account's latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from surveys.census import CensusRun, CensusState
from surveys.model import Language, OutgoingMessage
from surveys.periods import distinct_round_title

if TYPE_CHECKING:
    from surveys.ports import UnitOfWork
    from surveys.service import SurveyService

PROGRESS_EVERY = timedelta(seconds=10)
# The buttons under the message, by state: a finished census has none.
CONTROLS: dict[CensusState, tuple[str, ...]] = {
    CensusState.RUNNING: ("pause", "cancel"),
    CensusState.PAUSED: ("resume", "cancel"),
}
MOVING = (CensusState.RUNNING, CensusState.PAUSED)


def message_key(run_id: int) -> str:
    return f"census-progress:{run_id}"


@dataclass(slots=True)
class _Shown:
    at: datetime
    state: CensusState
    digest: str


class ProgressMessages:
    def __init__(self, service: SurveyService, every: timedelta = PROGRESS_EVERY) -> None:
        self.service = service
        self.uow = service.uow
        self.clock = service.clock
        self.every = every
        # What this process last recorded per run. Lost on a restart, which costs at most
        # one edit that changes nothing.
        self._shown: dict[int, _Shown] = {}

    async def refresh(self, run_id: int | None = None) -> int:
        """Record the progress message (first time) or its edit for each census still
        moving or still collecting answers; ``run_id`` skips that run's throttle. How
        many messages were recorded.

        A pass over every run (no ``run_id``) leaves a run started within ``every`` without
        its first message: the command that started it records it after its own answer
        (follow_answer), so the starter reads "started" first; the pass takes over only if
        that never happened (a crash in between)."""
        now = self.clock.now()
        recent = now - self.service.policy.expiry_delay  # after that, no answer can come
        async with self.uow() as uow:
            # One query a pass: this runs beside delivery, once a poll interval.
            runs = [
                run
                for run in await uow.census.runs(*CensusState)
                if run.starter is not None
                and (run.id == run_id if run_id is not None else True)
                and (run.state in MOVING or run.created_at is None or run.created_at >= recent)
            ]
            recorded = 0
            for run in runs:
                shown = self._shown.get(run.id)
                throttled = (
                    shown is not None
                    and shown.state is run.state
                    and now - shown.at < self.every
                    and run.id != run_id
                )
                just_started = (
                    run_id is None and run.created_at is not None
                    and now - run.created_at < self.every
                )  # fmt: skip
                if not throttled and await self._record(uow, run, now, first=not just_started):
                    recorded += 1
            await uow.commit()
        return recorded

    async def _record(
        self, uow: UnitOfWork, run: CensusRun, now: datetime, *, first: bool = True
    ) -> bool:
        """``first``: whether the message may be sent now if it has not been yet."""
        assert run.starter is not None
        key = message_key(run.id)
        sent = await uow.outbox.by_key(key) is not None
        if not sent and not first:
            return False
        progress = await uow.census.progress(run)
        digest = ":".join(
            str(x)
            for x in (progress.state.value, progress.population, progress.sent,
                      progress.reached, progress.unreachable, progress.answered, progress.partly,
                      progress.no_chat, progress.opted_out, progress.not_sent,
                      progress.queued)
        )  # fmt: skip
        shown = self._shown.get(run.id)
        if shown is not None and shown.digest == digest:
            return False
        staff = await uow.staff.by_address(run.starter)
        lang = staff.language if staff else Language.EN
        account = await uow.accounts.get(run.account_id)
        round_ = await uow.rounds.get(run.round_id)
        if account is None or round_ is None:
            return False
        payload: dict[str, Any] = {
            "text": progress.render(
                lang,
                account.name,
                distinct_round_title(
                    round_, await uow.rounds.for_account(account.id), lang, account.timezone
                ),
                self.service.census_links_work(run.starter.channel),
            ),
            "lang": lang.value,
            "census_controls": {
                "account_id": account.id,
                "run_id": run.id,  # the buttons act on this run, not the account's latest
                "actions": list(CONTROLS.get(run.state, ())),
            },
        }
        if not sent:
            message = OutgoingMessage(
                run.starter, "census_progress", payload, key, next_attempt_at=now
            )
        else:
            payload["target"] = key
            edit_key = f"{key}:{digest}:{now.isoformat()}"
            message = OutgoingMessage(
                run.starter, "census_progress_update", payload, edit_key, next_attempt_at=now
            )
        self._shown[run.id] = _Shown(now, run.state, digest)
        stored = await uow.outbox.enqueue(message)
        if stored is not None and message.kind == "census_progress_update":
            # It shows the whole state: edits of the message still queued (delivery behind,
            # the chat rate-limited) would only flicker past on the way to it. One in
            # flight is left to finish; this one follows it.
            await uow.outbox.supersede_older(stored)
        return stored is not None


async def follow_answer(service: SurveyService, run_id: int | None) -> int:
    """After a command's answer is recorded: the progress message of the census it started
    (Output.census_progress), so the starter reads "started" before the numbers."""
    if run_id is None:
        return 0
    return await progress_messages(service).refresh(run_id)


_BY_SERVICE: WeakKeyDictionary[SurveyService, ProgressMessages] = WeakKeyDictionary()


def progress_messages(service: SurveyService) -> ProgressMessages:
    """The process's one ProgressMessages per service: the fan-out loop, a starting command
    and a button share its throttle."""
    if service not in _BY_SERVICE:
        _BY_SERVICE[service] = ProgressMessages(service)
    return _BY_SERVICE[service]
