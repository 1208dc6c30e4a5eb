"""Composition root: builds storage, services, transports, scheduler and delivery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import DeliveryWorker
from bot.settings import Settings
from storage import migrate
from storage.db import create_engine, session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.alerts import AlertPolicy
from surveys.escalation import EscalationPolicy
from surveys.model import Channel
from surveys.onboarding import Onboarding
from surveys.ports import Clock, Messenger, SystemClock
from surveys.sentiment import SentimentAnalyser, make_analyser
from surveys.service import SurveyPolicy, SurveyService
from surveys.silence import SilencePolicy
from surveys.staff import StaffCommands

log = logging.getLogger(__name__)


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
        engine = create_engine(settings.database_url)
        if run_migrations:
            await migrate.upgrade(engine)
        uow = SqlUnitOfWorkFactory(session_factory(engine))
        clock = clock or SystemClock()
        service = SurveyService(
            uow, clock, analyser_from_settings(settings), survey_policy(settings)
        )
        onboarding = Onboarding(uow, clock, settings.company_name, settings.default_language)
        commands = StaffCommands(uow, clock, service, onboarding)
        delivery = DeliveryWorker(
            uow, messengers, service, clock, max_attempts=settings.delivery_max_attempts
        )
        return cls(settings, engine, uow, clock, service, onboarding, commands, delivery)

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
        try:
            await self.delivery.run_forever(self.settings.delivery_poll_seconds, self.stop_event)
        finally:
            scheduler.shutdown(wait=False)
            self.stop_event.set()
            self.tick_wanted.set()
            await ticker

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
            report = await self.service.tick()
        except Exception:
            log.exception("scheduled tick failed; the next one retries")
            return
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
        await self.engine.dispose()
