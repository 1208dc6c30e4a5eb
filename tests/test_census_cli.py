"""`candor import contacts`, `candor census link|revoke` and `candor invites export`."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from storage import migrate
from storage.db import create_engine, session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import Account

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "console" / "sample_census.csv"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("CANDOR_DATABASE_URL", url)
    monkeypatch.setenv("CANDOR_TELEGRAM_BOT_USERNAME", "candor_test_bot")
    monkeypatch.chdir(tmp_path)

    async def seed() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        async with SqlUnitOfWorkFactory(session_factory(engine))() as uow:
            await uow.accounts.add(Account(0, "Globex", None))
            await uow.commit()
        await engine.dispose()

    asyncio.run(seed())
    return url


def test_import_dry_run_then_import_then_export_links(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "contacts", str(SAMPLE), "--account", "Globex", "--dry-run"]) == 0
    assert "nothing written yet): new 6" in capsys.readouterr().out
    assert main(["import", "contacts", str(SAMPLE), "--account", "Globex"]) == 0
    assert "Imported into Globex: new 6" in capsys.readouterr().out
    assert main(["import", "contacts", str(SAMPLE), "--account", "Globex"]) == 0
    assert "new 0, updated 0, unchanged 6" in capsys.readouterr().out

    out = tmp_path / "links.csv"
    assert main(["invites", "export", "--account", "Globex", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 6 and len({r["link"] for r in rows}) == 6
    assert all(r["link"].startswith("https://t.me/candor_test_bot?start=") for r in rows)

    assert main(["census", "link", "--account", "Globex"]) == 0
    assert "?start=census_" in capsys.readouterr().out
    assert main(["census", "revoke", "--account", "Globex"]) == 0
    assert "revoked 1 link(s)" in capsys.readouterr().out


def test_bad_file_and_unknown_account_exit_1_with_a_reason(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("hello\nworld\n")
    assert main(["import", "contacts", str(bad), "--account", "Globex"]) == 1
    assert "not a table" in capsys.readouterr().err
    assert main(["import", "contacts", str(SAMPLE), "--account", "Nope"]) == 1
    assert "no account 'Nope'" in capsys.readouterr().err
