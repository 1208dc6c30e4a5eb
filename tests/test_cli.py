"""The `candor` command as a user runs it: settings errors, run, migrate, demo, --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings, parse_duration


def candor(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` in a clean environment: no settings but those given."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "TELEGRAM_", "SLACK_"))
    }
    clean["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("CANDOR_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("CANDOR_REMINDER_AFTER", "soon", "duration"),
        ("CANDOR_EXPIRE_AFTER", "-3d", "duration"),
        ("CANDOR_SEND_HOUR", "25", "less than or equal to 23"),
        ("CANDOR_DATABASE_URL", "mysql://localhost/x", "not supported"),
        ("CANDOR_DATABASE_URL", "::not a url::", "not a database URL"),
        ("CANDOR_DEFAULT_LANGUAGE", "de", "'ru' or 'en'"),
        ("CANDOR_ADMIN_TELEGRAM_IDS", "alice,bob", "Telegram user ids"),
        ("CANDOR_ALERT_THRESHOLD", "2", "less than or equal to 1"),
        ("CANDOR_SENTIMENT_ANALYSER", "magic", "unknown sentiment analyser"),
        ("CANDOR_LOG_LEVEL", "LOUD", "DEBUG, INFO"),
    ],
)
def test_malformed_setting_stops_with_one_clear_line(
    tmp_path: Path, variable: str, value: str, reason: str
) -> None:
    result = candor("migrate", cwd=tmp_path, env={variable: value})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and reason in lines[0]
    assert not (tmp_path / "candor.db").exists()  # nothing was started


def test_reminder_must_come_before_expiry(tmp_path: Path) -> None:
    result = candor(
        "migrate", cwd=tmp_path, env={"CANDOR_REMINDER_AFTER": "8d", "CANDOR_EXPIRE_AFTER": "7d"}
    )
    assert result.returncode == 2
    assert "CANDOR_REMINDER_AFTER must be shorter than CANDOR_EXPIRE_AFTER" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_setting_in_dotenv_file_is_reported_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CANDOR_TICK_SECONDS=often\n", encoding="utf-8")
    result = candor("migrate", cwd=tmp_path)
    assert result.returncode == 2
    assert "CANDOR_TICK_SECONDS" in result.stderr and "Traceback" not in result.stderr


def test_settings_errors_never_echo_secret_values() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(telegram_bot_token="123:SECRET-TOKEN", send_hour=99)
    assert "SECRET-TOKEN" not in str(caught.value)
    settings = load_settings(telegram_bot_token="123:SECRET-TOKEN")
    assert "SECRET-TOKEN" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("36h", 129600), ("2d", 172800), ("1w", 604800), ("45", 45)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_run_without_platform_token_explains_and_exits_2(tmp_path: Path) -> None:
    result = candor("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "SLACK_BOT_TOKEN" in result.stderr
    assert "candor run --console" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["run"], ["demo"], ["migrate"], ["report"]])
def test_help_on_each_command(tmp_path: Path, command: list[str]) -> None:
    result = candor(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: candor" in result.stdout


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    result = candor("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from tests.test_storage import head_revision

    assert f"database at revision {head_revision()}" in result.stdout
    assert (tmp_path / "candor.db").exists()
    again = candor("migrate", cwd=tmp_path)  # idempotent
    assert again.returncode == 0 and head_revision() in again.stdout


def test_demo_with_piped_answers_prints_alert_and_summary(tmp_path: Path) -> None:
    answers = "\n".join(
        [
            "Great result, we are happy with it",
            "/sticker",
            "Too slow, you missed deadlines and I am not happy",
            "Always polite and correct",
        ]
    )
    result = candor("demo", "--lang", "en", cwd=tmp_path, stdin=answers + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # The alert, as the account owner receives it.
    assert "Olga Petrova, account owner" in out
    assert "Negative feedback from Northwind Logistics (demo)" in out
    assert "Answer: Too slow, you missed deadlines and I am not happy" in out
    # The question as the client saw it, not an internal key.
    assert "Question: How do you find the speed of our work" in out and "Why flagged:" in out
    assert "Alerts sent to the account owner in this round: 1" in out
    # The sticker got a polite request for text and was not taken as an answer.
    assert "I can only read text" in out
    # The summary table: one row, three answered questions with sentiment marks.
    assert "Responded: 1/1 (100%)" in out
    table_row = next(line for line in out.splitlines() if line.startswith("Anna Smith"))
    assert "completed" in table_row
    assert "[+] Great result" in table_row and "[-] Too slow" in table_row
    assert "[+] Always polite" in table_row
    # Closing the loop: one follow-up exchange (the reply scripted once input ends) and a
    # resolution, then the alert's timeline.
    assert "The client service team of Acme" in out or "has a question about your feedback" in out
    assert "Could you tell us more about what did not go well, so we can put it right?" in out
    assert "Reply from Anna Smith to your question (alert #1):" in out
    assert "Two deliveries slipped by a week; the rest is fine." in out
    assert "Alert #1 resolved: explained to the client." in out
    # Who acts before what came of it (the result used to come first).
    assert "Olga Petrova resolves the alert (/resolve 1 explained …):\nAlert #1 resolved" in out
    assert "Olga Petrova asked the client: «Could you tell us" in out
    # Piped answers are echoed after the prompt: the transcript shows what was answered.
    assert "you> Too slow, you missed deadlines and I am not happy\n" in out
    assert "you> Two deliveries slipped by a week; the rest is fine.\n" in out
    assert "the client replied: «Two deliveries slipped by a week" in out


def test_demo_in_russian_and_replayable_on_the_same_database(tmp_path: Path) -> None:
    answers = "Всё отлично\n/skip\nОбщались грубо, не доволен\n"
    first = candor("demo", "--lang", "ru", cwd=tmp_path, stdin=answers)
    assert first.returncode == 0, first.stderr
    assert "Негативный отзыв: Северный ветер (демо)" in first.stdout
    assert "Вопрос: Было ли общение с нами вежливым и корректным?" in first.stdout
    assert "Алертов владельцу аккаунта в этом опросе: 1" in first.stdout
    assert "Сводка опроса" in first.stdout
    # «клиент Северный ветер» read as a client named after the company.
    assert "Анна Смирнова, клиент компании «Северный ветер (демо)»." in first.stdout
    # The Russian transcript: the client's prompt and the table's statuses in Russian.
    assert "вы> Общались грубо, не доволен\n" in first.stdout and "you>" not in first.stdout
    assert "| завершил |" in first.stdout
    second = candor("demo", "--lang", "ru", cwd=tmp_path, stdin="Хорошо\n/decline\n")
    assert second.returncode == 0, second.stderr
    assert "Алертов владельцу аккаунта в этом опросе: 0" in second.stdout
    assert "| отказался |" in second.stdout  # it printed the English "declined"


def test_demo_in_english_then_in_russian_on_one_database(tmp_path: Path) -> None:
    """The README's order: `candor demo`, then `candor demo --lang ru`. The Russian round had
    nobody to ask ("Ответили: 0/0"): the one console client stayed in the English account."""
    english = candor("demo", cwd=tmp_path, stdin="Great\nToo slow, not happy\nPolite\n")
    assert english.returncode == 0, english.stderr
    assert "Responded: 1/1 (100%)" in english.stdout
    russian = candor("demo", "--lang", "ru", cwd=tmp_path, stdin="Отлично\nДолго\nВежливо\n")
    assert russian.returncode == 0, russian.stderr
    assert "Вопрос 1 из 3" in russian.stdout and "Ответили: 1/1 (100%)" in russian.stdout
    assert "вы — Анна Смирнова, клиент компании «Северный ветер (демо)»" in russian.stdout
    assert "Негативный отзыв: Северный ветер (демо)" in russian.stdout
    again = candor("demo", cwd=tmp_path, stdin="Fine\n")
    assert "Question 1 of 3" in again.stdout and "you are Anna Smith" in again.stdout


def test_demo_ends_cleanly_when_input_ends_early(tmp_path: Path) -> None:
    result = candor("demo", "--lang", "en", cwd=tmp_path, stdin="")
    assert result.returncode == 0, result.stderr
    assert "Responded: 0/1 (0%)" in result.stdout


def test_run_console_answers_a_contact_through_the_full_process_loop(tmp_path: Path) -> None:
    # The demo seeds the console contact; its round is then finished.
    seeded = candor("demo", cwd=tmp_path, stdin="Fine\nFine\nFine\n")
    assert seeded.returncode == 0, seeded.stderr
    result = candor("run", "--console", cwd=tmp_path, stdin="Hello again\n/sticker\n")
    assert result.returncode == 0, result.stderr
    # After the last question, free text is kept as a comment; a sticker asks for text.
    assert "your comment is added to your answers" in result.stdout
    assert "I can only read text" in result.stdout
    stranger = candor("run", "--console", "--as", "nobody", cwd=tmp_path, stdin="hi\n")
    assert stranger.returncode == 0, stranger.stderr
    assert "I don't know you yet" in stranger.stdout


def test_run_console_takes_lang_typed_without_the_slash(tmp_path: Path) -> None:
    # As on Telegram and Slack, «lang ru» is the /lang command, not a comment to keep.
    seeded = candor("demo", cwd=tmp_path, stdin="Fine\nFine\nFine\n")
    assert seeded.returncode == 0, seeded.stderr
    result = candor("run", "--console", cwd=tmp_path, stdin="lang ru\n/sticker\n")
    assert result.returncode == 0, result.stderr
    assert "Язык изменён на русский." in result.stdout
    assert "Извините, я понимаю только текст." in result.stdout
    assert "your comment is added" not in result.stdout


def test_env_example_lists_every_setting_with_a_comment() -> None:
    from bot.settings import Settings, _env_name

    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text(encoding="utf-8")
    lines = example.splitlines()
    for field in Settings.model_fields:
        name = _env_name(field)
        where = [i for i, line in enumerate(lines) if line.startswith(f"{name}=")]
        assert where, f"{name} is missing from .env.example"
        above = where[0] - 1
        while above >= 0 and "=" in lines[above] and not lines[above].startswith("#"):
            above -= 1  # a group of settings may share one comment
        assert above >= 0 and lines[above].startswith("#"), f"{name} has no comment above it"
    # And the example itself is a valid configuration.
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    settings = load_settings(
        **{k: v for k, v in values.items() if v and not k.startswith("CANDOR_")}
    )
    assert settings.database_url.startswith("sqlite+aiosqlite")


def test_sentiment_command_scores_text_and_jsonl(tmp_path: Path) -> None:
    one = candor(
        "sentiment", "--question", "speed", "отвечали очень долго, не доволен", cwd=tmp_path
    )
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith("negative") and "не доволен" in one.stdout
    many = candor(
        "sentiment", "--jsonl", "--question", "outcome", cwd=tmp_path,
        stdin="Great result, thank you\nnot happy at all\n",
    )  # fmt: skip
    assert many.returncode == 0, many.stderr
    rows = [json.loads(line) for line in many.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["positive", "negative"]
    assert all(r["question"] == "outcome" and "evidence" in r and "score" in r for r in rows)


def test_report_writes_xlsx_csv_and_charts_after_a_demo_round(tmp_path: Path) -> None:
    import csv
    import io

    import openpyxl
    from matplotlib.image import imread

    answers = "Great result\nToo slow, you missed deadlines and I am not happy\nPolite\n"
    assert candor("demo", "--lang", "en", cwd=tmp_path, stdin=answers).returncode == 0
    account = "Northwind Logistics (demo)"

    xlsx = candor("report", account, "--lang", "ru", "-o", "sla.xlsx", cwd=tmp_path)
    assert xlsx.returncode == 0, xlsx.stderr
    assert xlsx.stdout.startswith("sla.xlsx (")
    book = openpyxl.load_workbook(tmp_path / "sla.xlsx")
    assert book.sheetnames[0] == "Сводка" and len(book.sheetnames) == 2

    semi = candor("report", "all", "--format", "csv", "--delimiter", ";", cwd=tmp_path)
    assert semi.returncode == 0, semi.stderr
    written = next(tmp_path.glob("candor-all-all.csv")).read_bytes()
    rows = list(csv.reader(io.StringIO(written.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Account" and any("Too slow" in r[7] for r in rows[1:])

    chart = candor("report", account, "--chart", "-o", "trend.png", cwd=tmp_path)
    assert chart.returncode == 0, chart.stderr
    assert imread(tmp_path / "trend.png").shape[:2] == (1125, 900)

    missing = candor("report", "Nowhere", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "candor report: No account «Nowhere». See /accounts."
    bad = candor("report", "all", "2026-13", cwd=tmp_path)
    assert bad.returncode == 1 and "Period must look like" in bad.stderr
