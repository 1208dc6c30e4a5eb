"""The census's staff commands: `/round <account> census [period]` and
`/census <account> [pause|resume|cancel|link|revoke]`, run from the one command table."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from surveys.census import CADENCES, Census, CensusState
from surveys.census_progress import progress_messages
from surveys.contact_import import MAX_BYTES, ContactImport, ImportError_
from surveys.model import Address, Language, SentimentLabel, Staff
from surveys.questions import QUESTION_KEYS
from surveys.round_names import round_name
from surveys.staff import READERS, WRITERS, Output, StaffCommands, StaffError
from surveys.texts import argument, noun, t, within

ACTIONS = {
    "pause": CensusState.PAUSED,
    "resume": CensusState.RUNNING,
    "cancel": CensusState.CANCELLED,
}


def census_of(commands: StaffCommands) -> Census:
    return Census(commands.service)


async def start_census(
    commands: StaffCommands, actor: Staff, account_ref: str, period: str | None,
    starter: Address | None, links: bool = True,
) -> Output:  # fmt: skip
    commands.require(actor, WRITERS, actor.language)
    lang = actor.language
    async with commands.uow() as uow:
        account = await commands._account(uow, account_ref, lang)
    try:
        round_, run, created = await census_of(commands).start(account.id, period, starter)
    except ValueError:
        raise StaffError(t("census_bad_period", lang)) from None
    async with commands.uow() as uow:
        title = await round_name(uow, round_, lang)
    if not created:
        return Output(
            [
                t(
                    "census_exists",
                    lang,
                    title=title,
                    account=account.name,
                    ref=argument(account.name),
                )
            ]
        )
    # The starter's progress message, edited in place from now on, is recorded by the
    # adapter after this answer (Output.census_progress), so it arrives second.
    progress = run.id if starter is not None else None
    found = await census_of(commands).progress(account.id)
    if found is not None and found[1].population == 0:
        # Not "started" and then "no one to ask" in the progress: say it at once, and why.
        return Output([found[1].render(lang, account.name, title, links)], census_progress=progress)
    started = t(
        "census_started",
        lang,
        title=title,
        account=account.name,
        ref=argument(account.name),
        since=run.since.date().isoformat(),
        # `until` is the midnight after the period: people read the last day in it.
        until=(run.until - timedelta(microseconds=1)).date().isoformat(),
    )
    return Output([started], census_progress=progress)


async def census_command(
    commands: StaffCommands, actor: Staff, account_ref: str, action: str | None,
    cadence: str | None = None, links: bool = True,
) -> Output:  # fmt: skip
    roles = READERS if action is None else WRITERS
    commands.require(actor, roles, actor.language)
    lang = actor.language
    async with commands.uow() as uow:
        account = await commands._account(uow, account_ref, lang, actor)
    census = census_of(commands)
    if action == "unschedule":
        await census.set_schedule(account.id, None)
        return Output([t("census_unscheduled", lang, account=account.name)])
    if action == "schedule":
        wanted = (cadence or "half-yearly").lower().replace("-", "_")
        if wanted not in CADENCES:
            raise ValueError(cadence)  # the command's usage line names the cadences
        await census.set_schedule(account.id, wanted)
        return Output([t(f"census_scheduled.{wanted}", lang, account=account.name)])
    if action == "link":
        token = await census.create_link(account.id)
        return Output([t("census_link", lang, account=account.name, link="")], link_token=token)
    if action == "revoke":
        count = await census.revoke_links(account.id)
        return Output([t("census_links_revoked", lang, account=account.name, count=count)])
    run = None
    if action is not None:
        if action not in ACTIONS:
            raise ValueError(action)
        run = await census.set_state(account.id, ACTIONS[action])
    found = await census.progress(account.id)
    if found is None:
        return Output([t("census_none", lang, account=account.name, ref=argument(account.name))])
    round_, progress = found
    async with commands.uow() as uow:
        title = await round_name(uow, round_, lang)
    lines = [progress.render(lang, account.name, title, links)]
    if action is not None and run is not None and run.state is not ACTIONS[action]:
        # Finished or cancelled, it stayed so: the progress alone would read as done.
        days = within(commands.service.policy.expiry_delay, lang)
        why = t(f"census_unmoved.{run.state.value}.{action}", lang, title=title,
                account=account.name, ref=argument(account.name), days=days)  # fmt: skip
        lines.insert(0, why)
    if shares := await negative_shares(commands, round_.id, lang):
        lines.append(shares)
    return Output(lines)


async def census_button(
    commands: StaffCommands, actor: Staff | None, account_id: int, action: str,
    stranger_lang: Language = Language.EN,
) -> str:  # fmt: skip
    """Pause / resume / cancel pressed under a progress message sent before the buttons
    named their run: acts on the account's latest census, as `/census <account> pause`
    does. The census's state in a word or two (a button's short answer); the message
    itself shows it at once. ``stranger_lang``: the platform's language for a presser
    Candor does not know (refused)."""
    lang = actor.language if actor else stranger_lang
    staff = commands.require(actor, WRITERS, lang, button=True)
    if action not in ACTIONS:
        raise StaffError(t("button_forged", lang))
    await census_command(commands, staff, f"#{account_id}", action)
    async with commands.uow() as uow:
        run = await uow.census.latest_run(account_id)
    if run is None:
        return t("census_none", staff.language, account=f"#{account_id}", ref=f"#{account_id}")
    await progress_messages(commands.service).refresh(run.id)
    return t(f"census_state.{run.state.value}", staff.language)


async def census_run_button(
    commands: StaffCommands, actor: Staff | None, run_id: int, action: str,
    stranger_lang: Language = Language.EN,
) -> str:  # fmt: skip
    """Pause / resume / cancel pressed under the progress message of census run ``run_id``:
    acts on that run, whichever is the account's latest. A run already finished or
    cancelled is left alone and the presser told so (StaffError, in their language).
    ``stranger_lang`` as for census_button."""
    lang = actor.language if actor else stranger_lang
    staff = commands.require(actor, WRITERS, lang, button=True)
    lang = staff.language
    if action not in ACTIONS:
        raise StaffError(t("button_forged", lang))
    async with commands.uow() as uow:
        run = await uow.census.run(run_id)
        if run is None:
            raise StaffError(t("button_forged", lang))
        account = await commands._account(uow, f"#{run.account_id}", lang, staff)
        round_ = await uow.rounds.get(run.round_id)
        title = await round_name(uow, round_, lang) if round_ else ""
    if run.state in (CensusState.DONE, CensusState.CANCELLED):
        raise StaffError(
            t(
                f"census_run_over.{run.state.value}",
                lang,
                title=title,
                account=account.name,
                ref=argument(account.name),
            )
        )
    moved = await census_of(commands).set_run_state(run.id, ACTIONS[action])
    await progress_messages(commands.service).refresh(run.id)
    return t(f"census_state.{(moved or run).state.value}", lang)


async def negative_shares(commands: StaffCommands, round_id: int, lang: Language) -> str | None:
    """Per question, the share of the census's answers read as negative; None before any."""
    summary = await commands.service.round_summary(round_id)
    parts = []
    for key in QUESTION_KEYS:
        labels = [r.cells[key].label for r in summary.rows if key in r.cells]
        if labels:
            negative = sum(label is SentimentLabel.NEGATIVE for label in labels)
            parts.append(f"{t(f'label.{key}', lang)} {round(100 * negative / len(labels))}%")
    return t("census_negative", lang, shares=", ".join(parts)) if parts else None


async def census_status_line(commands: StaffCommands, actor: Staff, account_ref: str) -> str | None:
    """The users' line under /status: the latest census, apart from the stakeholders' round."""
    async with commands.uow() as uow:
        account = await commands._account(uow, account_ref, actor.language, actor)
    found = await census_of(commands).progress(account.id)
    if found is None:
        return None
    round_, p = found
    async with commands.uow() as uow:
        title = await round_name(uow, round_, actor.language)
    rate = round(100 * p.answered / p.reached) if p.reached else 0
    line = t(
        "census_users_line" if p.sent else "census_users_line.none",
        actor.language,
        title=title,
        population=p.population,
        users=noun(p.population, "user", actor.language),
        reached=p.reached,
        answered=p.answered,
        rate=rate,
        partly=p.partly_text(actor.language),
    )
    shares = await negative_shares(commands, round_.id, actor.language)
    return f"{line} {shares}" if shares else line


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent to the bot with a command. ``fetch`` writes its bytes to a path; it is
    called only once the sender may import, the account exists and ``size`` is within
    ``limit``, so a stranger's or an oversized file is never downloaded."""

    size: int | None
    fetch: Callable[[Path], Awaitable[None]]
    limit: int = MAX_BYTES
    ref: str | None = None  # the platform's id of the file, for a confirm button


class FetchFailed(Exception):
    """The platform would not hand over the file's bytes."""


async def import_from_chat(
    commands: StaffCommands, actor: Staff | None, words: list[str], upload: Upload | None
) -> Output:
    """`import <account> [confirm]` with a CSV/XLSX file: a preview, or (with confirm) the
    import. ``words`` are those after `import`."""
    staff = commands.require(actor, WRITERS, actor.language if actor else Language.EN)
    lang = staff.language
    if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() != "confirm"):
        return Output([t("import_usage", lang)])
    if upload is None:
        return Output([t("import_usage", lang)])
    async with commands.uow() as uow:
        account = await commands._account(uow, words[0], lang, staff)
    size, limit = upload.size, upload.limit
    if size is not None and size > limit:
        return Output([_too_big(size, limit).text(lang)])
    write = len(words) == 2
    with tempfile.TemporaryDirectory(prefix="candor-import-") as tmp:
        path = Path(tmp) / "upload"
        try:
            await upload.fetch(path)
            name, preview = await ContactImport(commands.uow, commands.clock, limit).run(
                account.name, path, write=write
            )
        except FetchFailed:
            return Output([t("import_fetch_failed", lang)])
        except ImportError_ as exc:
            return Output([exc.text(lang)])
    lines = [preview.render(lang, name)]
    if write:
        return Output(lines)
    if upload.ref is not None:
        lines.append(t("import_confirm_button", lang, account=name, ref=argument(name)))
        return Output(lines, confirm_import=(name, upload.ref))
    lines.append(t("import_confirm", lang, account=name, ref=argument(name)))
    return Output(lines)


def _too_big(size: int, limit: int) -> ImportError_:
    return ImportError_("import_too_big", size=f"{size / 1e6:.1f}", limit=f"{limit / 1e6:.0f}")
