"""`python -m bot` is the `candor` command."""

from bot.cli import main

raise SystemExit(main())
