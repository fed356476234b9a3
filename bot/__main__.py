"""``python -m bot``: the same as the ``socialbot`` command."""

from bot.cli import main

raise SystemExit(main())
