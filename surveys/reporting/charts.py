"""Trend pictures (matplotlib, Agg): readable on a phone, labels in the reader's language.

Figures are built with the object API on an Agg canvas, never pyplot, so no global state
or display is touched and two charts can be drawn at once.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from surveys.model import Account, Language
from surveys.questions import QUESTION_KEYS
from surveys.reporting.data import Measures, RoundData, measure
from surveys.reporting.labels import L, question_name

MIME = "image/png"
DPI = 150
LAST_PERIODS = 8  # more points than this do not read on a phone screen
PORTFOLIO_ROWS = 25  # riskiest accounts shown; the rest are counted in a footnote
_COLOURS = ("#d62728", "#1f77b4", "#2ca02c")


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def period_labels(rounds: Sequence[RoundData], lang: Language) -> list[str]:
    """Each round's title under its point; a long one (a Russian census's) wraps rather
    than running into the next tick."""
    return ["\n".join(textwrap.wrap(d.title(lang), 16)) for d in rounds]


def account_chart(account: Account, rounds: Sequence[RoundData], lang: Language) -> bytes:
    """Negative share per question (top) and response rate (bottom) over the last periods."""
    shown = list(rounds)[-LAST_PERIODS:]
    figure = Figure(figsize=(6, 7.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    figure.suptitle(L("chart.account", lang, account=account.name), fontsize=14)
    if not shown:
        top.text(0.5, 0.5, L("chart.no_data", lang), ha="center", va="center", fontsize=14)
        top.set_axis_off()
        bottom.set_axis_off()
        return _png(figure)
    periods = period_labels(shown, lang)
    measures = [measure(d.rows) for d in shown]
    x = range(len(shown))
    for key, colour in zip(QUESTION_KEYS, _COLOURS, strict=True):
        values = [m.negative_share[key] for m in measures]
        top.plot(
            x, [v if v is not None else float("nan") for v in values],
            marker="o", linewidth=2.5, color=colour, label=question_name(key, lang),
        )  # fmt: skip
    top.set_ylabel(L("chart.negative", lang), fontsize=12)
    top.set_ylim(0, 1)
    top.yaxis.set_major_formatter(PercentFormatter(1.0))
    top.grid(alpha=0.3)
    top.legend(fontsize=11, loc="upper left")
    rates = [m.response_rate for m in measures]
    bars = bottom.bar(x, rates, color="#7f7f7f")
    bottom.bar_label(bars, labels=[f"{r:.0%}" for r in rates], fontsize=10)
    bottom.set_ylabel(L("response_rate", lang), fontsize=12)
    bottom.set_ylim(0, 1.15)
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0))
    bottom.set_xticks(list(x), periods, rotation=30, ha="right", fontsize=11)
    return _png(figure)


def portfolio_chart(latest: Sequence[RoundData], lang: Language) -> bytes:
    """Accounts × questions, negative share in the latest period, riskiest first."""
    scored: list[tuple[float, str, Measures]] = []
    for data in latest:
        m = measure(data.rows)
        scored.append((m.overall_negative or 0.0, data.account.name, m))
    scored.sort(key=lambda s: (-s[0], s[1].casefold()))
    shown = scored[:PORTFOLIO_ROWS]
    height = max(4.0, 1.8 + 0.42 * len(shown))
    figure = Figure(figsize=(6, height), layout="constrained")
    axes = figure.subplots()
    axes.set_title(L("chart.portfolio", lang), fontsize=12, wrap=True)
    if not shown:
        axes.text(0.5, 0.5, L("chart.no_data", lang), ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return _png(figure)
    grid = [
        [m.negative_share[k] if m.negative_share[k] is not None else float("nan")
         for k in QUESTION_KEYS]
        for _, _, m in shown
    ]  # fmt: skip
    image = axes.imshow(grid, cmap="RdYlGn_r", vmin=0, vmax=1, aspect="auto")
    axes.set_xticks(range(len(QUESTION_KEYS)), [question_name(k, lang) for k in QUESTION_KEYS])
    axes.xaxis.tick_top()
    names = [name if len(name) <= 24 else name[:23] + "…" for _, name, _ in shown]
    axes.set_yticks(range(len(shown)), names, fontsize=10)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            text = "—" if value != value else f"{value:.0%}"  # NaN: nobody answered
            axes.text(j, i, text, ha="center", va="center", fontsize=10)
    figure.colorbar(image, ax=axes, format=PercentFormatter(1.0), shrink=0.6)
    if len(scored) > len(shown):
        axes.set_xlabel(L("chart.more", lang, n=len(scored) - len(shown)), fontsize=10)
    return _png(figure)
