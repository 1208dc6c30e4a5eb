"""Composition root: builds storage, services, transports, scheduler and delivery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import metrics
from bot.delivery import DeliveryWorker
from bot.inbox import Inbox
from bot.leader import Leadership
from bot.settings import Settings
from storage import migrate
from storage.db import create_engine, session_factory
from storage.inbox import InboxStore
from storage.repositories import SqlUnitOfWorkFactory
from surveys.alerts import AlertPolicy
from surveys.census import Census
from surveys.census_progress import progress_messages
from surveys.digest import DigestPolicy
from surveys.escalation import EscalationPolicy
from surveys.model import Channel, Sentiment
from surveys.onboarding import Onboarding
from surveys.ports import Clock, Messenger, SystemClock
from surveys.sentiment import SentimentAnalyser, make_analyser
from surveys.service import SurveyPolicy, SurveyService
from surveys.silence import SilencePolicy
from surveys.staff import StaffCommands

log = logging.getLogger(__name__)
HANDOVER_PAUSE = 1.1  # seconds: Telegram's and Slack's per-chat gap, and a little more


def analyser_from_settings(settings: Settings, name: str | None = None) -> SentimentAnalyser:
    """The analyser the settings select, with the options that backend needs."""
    key = settings.sentiment_openai_api_key
    return make_analyser(
        name or settings.sentiment_analyser,
        model_dir=settings.sentiment_hf_model_dir,
        url=settings.sentiment_openai_url,
        model=settings.sentiment_openai_model,
        api_key=key.get_secret_value() if key else None,
        timeout=settings.sentiment_openai_timeout,
    )


class TimedAnalyser:
    """Records each scoring's duration for /metrics; otherwise the analyser itself."""

    def __init__(self, inner: SentimentAnalyser) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def analyse(self, text: str, question: str) -> Sentiment:
        with metrics.SENTIMENT_LATENCY.time():
            return self.inner.analyse(text, question)


def survey_policy(settings: Settings) -> SurveyPolicy:
    return SurveyPolicy(
        reminder_delay=settings.reminder_after,
        expiry_delay=settings.expire_after,
        send_hour=settings.send_hour,
        company=settings.company_name,
        default_language=settings.default_language,
        default_timezone=settings.timezone,
        alerts=AlertPolicy(
            threshold=settings.alert_threshold,
            mild_conversation=settings.alert_on_mild_conversation,
            relapse_rounds=settings.relapse_rounds,
        ),
        followup_window=settings.followup_window,
        escalation=EscalationPolicy(
            ack_after=settings.escalate_ack_after,
            resolve_after=settings.escalate_resolve_after,
            priority_tiers=frozenset(settings.escalate_priority_tiers),
            priority_factor=settings.escalate_priority_factor,
        ),
        silence=SilencePolicy(
            rounds=settings.silence_rounds,
            rate=settings.silence_rate,
            history=settings.silence_history,
        ),
    )


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    clock: Clock
    service: SurveyService
    onboarding: Onboarding
    commands: StaffCommands
    delivery: DeliveryWorker
    inbox: Inbox
    leadership: Leadership
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    tick_wanted: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def create(
        cls,
        settings: Settings,
        messengers: Mapping[Channel, Messenger],
        clock: Clock | None = None,
        *,
        run_migrations: bool = True,
    ) -> App:
        # A handler never waits on the pool until it times out: everything that holds a
        # connection is bounded to fit in it (inbox workers, one inbox writer, delivery,
        # the leadership lock, the tick; each holds one only for a statement or a short
        # transaction, never across a platform call); the overflow is headroom.
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
        )
        if run_migrations:
            await migrate.upgrade(engine)
        sessions = session_factory(engine)
        uow = SqlUnitOfWorkFactory(sessions)
        clock = clock or SystemClock()
        analyser = TimedAnalyser(analyser_from_settings(settings))
        service = SurveyService(uow, clock, analyser, survey_policy(settings))  # type: ignore[arg-type]
        onboarding = Onboarding(
            uow, clock, settings.company_name, settings.default_language, service=service
        )
        commands = StaffCommands(uow, clock, service, onboarding)
        commands.digest.policy = DigestPolicy(settings.digest_weekday, settings.digest_hour)
        commands.reports.max_file_bytes = int(settings.report_max_file_mb * 1024 * 1024)
        commands.reports.tmpdir = settings.report_tmpdir
        delivery = DeliveryWorker(
            uow, messengers, service, clock, max_attempts=settings.delivery_max_attempts,
            concurrency=settings.delivery_concurrency, lease=settings.delivery_lease,
        )  # fmt: skip
        inbox = Inbox(
            InboxStore(sessions, engine.dialect.name), clock,
            workers=settings.inbox_concurrency, lease=settings.inbox_lease,
        )  # fmt: skip
        leadership = Leadership(engine)
        return cls(
            settings, engine, uow, clock, service, onboarding, commands, delivery, inbox,
            leadership,
        )  # fmt: skip

    async def run(self) -> None:
        """Scheduler and delivery until stop() is called."""
        scheduler = AsyncIOScheduler(timezone="UTC")
        # APScheduler only says *when*; the tick itself runs in our own task, so shutdown
        # lets a tick finish its transaction instead of cancelling it half-way. The tick is
        # idempotent, so coalescing missed runs into one is all it needs.
        scheduler.add_job(
            self._want_tick,
            IntervalTrigger(seconds=self.settings.tick_seconds),
            id="candor-tick",
            coalesce=True,
            max_instances=1,
            next_run_time=self.clock.now(),
        )
        scheduler.start()
        ticker = asyncio.create_task(self._tick_loop())
        handling = asyncio.create_task(self.inbox.run_forever(self.stop_event))
        try:
            await self.leadership.run(self._deliver, self.stop_event)
            await handling
        finally:
            handling.cancel()
            scheduler.shutdown(wait=False)
            self.stop_event.set()
            self.tick_wanted.set()
            await ticker

    async def _deliver(self, end: asyncio.Event) -> None:
        # A process taking over from one that just died waits out the per-chat gap first:
        # the dead one may have sent to a chat a moment ago.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(end.wait(), HANDOVER_PAUSE)
        # The census fan-out feeds the outbox only as fast as delivery drains it, so it runs
        # beside delivery, in the one delivering process.
        fan_out = asyncio.create_task(self._census_loop(end))
        try:
            await self.delivery.run_forever(self.settings.delivery_poll_seconds, end)
        finally:
            fan_out.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fan_out

    async def _census_loop(self, end: asyncio.Event) -> None:
        census = Census(self.service)
        progress = progress_messages(self.service)
        while not end.is_set():
            try:
                queued = await census.fan_out(self.settings.census_backlog)
                if await progress.refresh() or queued:
                    self.delivery.wake.set()
            except Exception:
                log.exception("census fan-out failed; the next pass retries")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(end.wait(), self.settings.delivery_poll_seconds)

    async def _want_tick(self) -> None:
        self.tick_wanted.set()

    async def _tick_loop(self) -> None:
        while True:
            await self.tick_wanted.wait()
            self.tick_wanted.clear()
            if self.stop_event.is_set():
                return
            await self.tick()

    async def tick(self) -> None:
        try:
            censuses = await Census(self.service).open_due()
            if censuses:
                log.info("tick: censuses opened: %s", ", ".join(censuses))
        except Exception:
            log.exception("scheduled census check failed; the next tick retries")
        try:
            report = await self.service.tick()
        except Exception:
            log.exception("scheduled tick failed; the next one retries")
            return
        try:
            digests = await self.commands.digest.run_due()
        except Exception:
            log.exception("weekly digest failed; the next tick retries")
            digests = 0
        if digests:
            log.info("tick: %d weekly digests recorded", digests)
            self.delivery.wake.set()
        busy = report.escalations or report.followups_unanswered or report.silences
        if report.reminders or report.expired or report.rounds_opened or busy:
            log.info(
                "tick: %d reminders, %d expired, rounds opened: %s; %d escalations, "
                "%d follow-ups unanswered, %d silence alerts",
                report.reminders,
                report.expired,
                ", ".join(report.rounds_opened) or "none",
                report.escalations,
                report.followups_unanswered,
                report.silences,
            )
            self.delivery.wake.set()

    def stop(self) -> None:
        self.stop_event.set()

    async def close(self) -> None:
        await self.inbox.close()
        await self.engine.dispose()
