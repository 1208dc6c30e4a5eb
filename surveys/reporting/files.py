"""The report use case: who may see what, which rounds, which file; then record it for delivery.

Takes parsed arguments and returns a ``Document``; ``send`` records it in the outbox (bytes
stored beside the message) so a file goes out like every other message: recorded first,
delivered by the worker, retried on a platform hiccup.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from surveys.model import (
    Account,
    Address,
    Channel,
    Document,
    Language,
    OutgoingMessage,
    Staff,
)
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.reporting import tabular, xlsx
from surveys.reporting.data import RoundData, collect, in_window, summary_lines
from surveys.reporting.labels import L
from surveys.staff import (
    READERS,
    Output,
    StaffCommands,
    StaffError,
    find_account,
    may_see,
    period_range,
    say,
    split_period,
)

MB = 1024 * 1024
# What each platform takes from a bot: Telegram's Bot API sends up to 50 MB, Slack 1 GB.
PLATFORM_LIMITS: Mapping[Channel, int] = {
    Channel.TELEGRAM: 50 * MB,
    Channel.SLACK: 1024 * MB,
    Channel.CONSOLE: 1024 * MB,
}
# format word -> (kind, CSV delimiter)
FORMATS: Mapping[str, tuple[str, str]] = {
    "xlsx": ("xlsx", ""),
    "csv": ("csv", ","),
    "csv,": ("csv", ","),
    "csv;": ("csv", ";"),
}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    account_ref: str
    period: str | None
    kind: str  # xlsx | csv
    delimiter: str = ","


def parse_report_args(args: Sequence[str]) -> ReportRequest | None:
    """`<account>|all [period] xlsx|csv|csv;`; None when the last word is not a format
    (then it is the text report)."""
    if len(args) < 2 or args[-1].lower() not in FORMATS:
        return None
    kind, delimiter = FORMATS[args[-1].lower()]
    account, period = split_period(list(args[:-1]))
    return ReportRequest(account, period, kind, delimiter or ",")


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-")[:60] or "report"


class ReportFiles:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        max_file_bytes: int | None = None,
        tmpdir: str | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.max_file_bytes = max_file_bytes  # the deployment's own cap, under the platform's
        self.tmpdir = tmpdir  # where XLSX rows are spooled; None: the system's temp dir

    # --- building -------------------------------------------------------------------------

    async def _select(
        self, uow: UnitOfWork, actor: Staff | None, ref: str, lang: Language
    ) -> tuple[Account | None, list[Account]]:
        if ref.strip().lower() == "all":
            accounts = await uow.accounts.list()
            return None, [a for a in accounts if actor is None or may_see(actor, a)]
        account = await find_account(uow, ref, lang, actor)
        return account, [account]

    @staticmethod
    def _window(period: str | None, lang: Language) -> tuple[datetime, datetime] | None:
        try:
            return period_range(period) if period else None
        except ValueError:
            raise StaffError(say("bad_period", lang)) from None

    async def _rounds(
        self, actor: Staff | None, ref: str, lang: Language
    ) -> tuple[Account | None, list[RoundData]]:
        async with self.uow() as uow:
            account, accounts = await self._select(uow, actor, ref, lang)
            return account, await collect(uow, accounts)

    async def build(
        self,
        actor: Staff | None,
        request: ReportRequest,
        lang: Language,
    ) -> Document:
        """The XLSX or CSV for ``request``; ``actor`` None is the command line (sees all)."""
        if actor is not None:
            StaffCommands.require(actor, READERS, lang)
        window = self._window(request.period, lang)
        account, rounds = await self._rounds(actor, request.account_ref, lang)
        shown = [d for d in rounds if in_window(d, window)]
        name = f"candor-{_slug(account.name if account else 'all')}-{request.period or 'all'}"
        if request.kind == "csv":
            data = tabular.build_csv(shown, lang, request.delimiter)
            return Document(f"{name}.csv", tabular.MIME, data)
        summary = [s for s in summary_lines(rounds) if window is None or (
            window[0] <= s.round.opened_at < window[1])]  # fmt: skip
        return Document(
            f"{name}.xlsx", xlsx.MIME, xlsx.build_xlsx(shown, summary, lang, self.tmpdir)
        )

    async def chart(
        self, actor: Staff | None, ref: str, period: str | None, lang: Language
    ) -> Document:
        """One account's trend, or ``all``: the portfolio's latest period, riskiest first."""
        # Imported when a chart is asked for: matplotlib (with numpy and Pillow) is ~50 MB
        # and most of a second that every process would otherwise carry from the start.
        from surveys.reporting import charts

        if actor is not None:
            StaffCommands.require(actor, READERS, lang)
        window = self._window(period, lang)
        account, rounds = await self._rounds(actor, ref, lang)
        if window is not None:
            rounds = [d for d in rounds if d.round.opened_at < window[1]]
        suffix = f"-{period}" if period else ""
        if account is not None:
            png = charts.account_chart(account, rounds, lang)
            return Document(f"candor-trend-{_slug(account.name)}{suffix}.png", charts.MIME, png)
        latest: dict[int, RoundData] = {}
        for data in rounds:  # oldest first per account: the last one seen is the latest
            if window is None or in_window(data, window):
                latest[data.account.id] = data
        png = charts.portfolio_chart(list(latest.values()), lang)
        return Document(f"candor-trend-all{suffix}.png", charts.MIME, png)

    # --- delivering -----------------------------------------------------------------------

    def limit_for(self, channel: Channel) -> int:
        limit = PLATFORM_LIMITS.get(channel, 50 * MB)
        return min(limit, self.max_file_bytes) if self.max_file_bytes else limit

    async def send(
        self, to: Address, document: Document, caption: str, lang: Language, key: str
    ) -> Output:
        """Record ``document`` for ``to`` in the outbox; refuse one the platform cannot take."""
        limit = self.limit_for(to.channel)
        if len(document.data) > limit:
            size, cap = f"{len(document.data) / MB:.1f}", f"{limit / MB:g}"
            return Output([L("too_big", lang, size=size, limit=cap)])
        async with self.uow() as uow:
            await uow.outbox.enqueue(
                OutgoingMessage(
                    recipient=to,
                    kind="file",
                    payload={
                        "filename": document.filename,
                        "mime": document.mime,
                        "caption": caption,
                        "lang": lang.value,
                        "size": len(document.data),
                    },
                    idempotency_key=key,
                    next_attempt_at=self.clock.now(),
                    attachment=document.data,
                )
            )
            await uow.commit()
        kb = max(1, round(len(document.data) / 1024))
        return Output([L("file_queued", lang, filename=document.filename, size=kb)])

    # --- commands (parsed words in, an answer out) -----------------------------------------

    async def report_command(
        self, actor: Staff, to: Address | None, args: Sequence[str], key: str | None = None
    ) -> Output:
        """`report <account>|all [period] xlsx|csv|csv;` → the file, sent to ``to``."""
        lang = actor.language
        request = parse_report_args(args)
        if request is None:
            raise StaffError(L("bad_format", lang))
        document = await self.build(actor, request, lang)
        what = request.account_ref if request.account_ref.lower() != "all" else L("portfolio", lang)
        period = request.period or L("every_round", lang)
        caption = L("caption.report", lang, what=f"{what} · {period}")
        return await self._deliver(to, document, caption, lang, key)

    async def trend_command(
        self, actor: Staff, to: Address | None, args: Sequence[str], key: str | None = None
    ) -> Output:
        """`trend <account>|all [period]` → a PNG sent to ``to``."""
        lang = actor.language
        ref, period = split_period(list(args))
        document = await self.chart(actor, ref, period, lang)
        what = ref if ref.lower() != "all" else L("portfolio", lang)
        caption = L("caption.trend", lang, what=what)
        return await self._deliver(to, document, caption, lang, key)

    async def _deliver(
        self, to: Address | None, document: Document, caption: str, lang: Language, key: str | None
    ) -> Output:
        if to is None:
            return Output([L("no_address", lang)])
        # No platform message id to key on (a Slack slash command): each request is its own.
        key = key or f"file:{to.channel.value}:{to.address}:{uuid.uuid4().hex}"
        return await self.send(to, document, caption, lang, key)
