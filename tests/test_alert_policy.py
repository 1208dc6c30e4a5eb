"""The alert policy: per-answer threshold, and one alert for a mildly negative conversation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWorkFactory
from surveys.alerts import AlertPolicy
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Channel, Sentiment, SentimentLabel
from surveys.service import SurveyPolicy, SurveyService
from tests.conftest import FakeClock, RecordingMessenger, World


@dataclass
class ScriptedAnalyser:
    """Verdicts chosen by the test: the policy, not the analyser, is under test here."""

    verdicts: dict[str, tuple[SentimentLabel, float]]
    name: str = "scripted"
    version: str = "1"

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        label, score = self.verdicts[text]
        return Sentiment(label, score, [f"cue:{text}"], "scripted/1")


MILD = {
    "meh": (SentimentLabel.NEGATIVE, 0.4),
    "slowish": (SentimentLabel.NEGATIVE, 0.35),
    "bit dry": (SentimentLabel.NEGATIVE, 0.45),
    "great": (SentimentLabel.POSITIVE, 0.9),
    "awful": (SentimentLabel.NEGATIVE, 0.9),
}


def service_with(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, *, mild_conversation: bool
) -> SurveyService:
    policy = SurveyPolicy(alerts=AlertPolicy(threshold=0.5, mild_conversation=mild_conversation))
    return SurveyService(uow, clock, ScriptedAnalyser(MILD), policy)


async def run_conversation(service: SurveyService, world: World, answers: list[str]) -> int:
    opened = await service.open_round(world.account.id, "sprint-7", "Sprint 7")
    for i, text in enumerate(answers):
        await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, text, f"m{i}"))
    return opened.round.id


@pytest.mark.parametrize(
    ("answers", "mild_conversation", "expected"),
    [
        (["meh", "slowish", "bit dry"], True, 1),  # each mildly negative: one alert
        (["meh", "slowish", "bit dry"], False, 0),  # the setting turns it off
        (["meh", "great", "bit dry"], True, 0),  # not every answer negative
        (["awful", "slowish", "bit dry"], True, 1),  # the strong one alerts on its own
    ],
)
async def test_mildly_negative_conversation_alerts_once(
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
    world: World,
    answers: list[str],
    mild_conversation: bool,
    expected: int,
) -> None:
    service = service_with(uow, clock, mild_conversation=mild_conversation)
    round_id = await run_conversation(service, world, answers)
    assert len(await service.alerts_for_round(round_id)) == expected


async def test_conversation_alert_carries_every_answers_evidence(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World
) -> None:
    service = service_with(uow, clock, mild_conversation=True)
    messenger = RecordingMessenger(Channel.CONSOLE)
    await run_conversation(service, world, ["meh", "slowish", "bit dry"])
    await DeliveryWorker(uow, {Channel.CONSOLE: messenger}, service, clock).run_once()
    [alert] = messenger.to("olga")
    assert alert.payload["alert"]["evidence"] == ["cue:meh", "cue:slowish", "cue:bit dry"]
    assert alert.payload["alert"]["question_key"] == "politeness"  # hung on the last answer


async def test_rescored_answers_that_became_negative_alert_once(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World
) -> None:
    service = service_with(uow, clock, mild_conversation=False)
    round_id = await run_conversation(service, world, ["great"])
    async with uow() as u:
        [conv] = [
            c for c in await u.conversations.for_round(round_id) if c.contact_id == world.anna.id
        ]
        [answer] = await u.answers.for_conversations([conv.id])
        # An upgraded analyser reads it as clearly negative.
        answer.sentiment = Sentiment(SentimentLabel.NEGATIVE, 0.9, ["cue"], "new/2")
        await u.answers.update(answer)
        await u.commit()
    assert await service.alert_rescored([answer.id]) == 1
    assert await service.alert_rescored([answer.id, 999_999]) == 0  # no duplicate, no crash
    assert len(await service.alerts_for_round(round_id)) == 1


def test_by_default_every_negative_verdict_of_the_default_analyser_alerts() -> None:
    # The default analyser labels an answer negative from P(negative) >= its trained
    # threshold (chosen for recall); a higher default alert threshold would silently drop
    # the milder complaints it catches.
    from bot.settings import Settings
    from surveys.sentiment import head

    default_threshold = Settings(_env_file=None).alert_threshold  # type: ignore[call-arg]
    assert default_threshold == AlertPolicy().threshold
    assert default_threshold <= head.load().negative_threshold
    mild = Sentiment(SentimentLabel.NEGATIVE, head.load().negative_threshold, [], "default/x")
    assert AlertPolicy(threshold=default_threshold).raises_alert(mild)
